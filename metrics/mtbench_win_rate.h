// MT-Bench win rates (spec B.7): per-category and overall win rate over the
// per-turn final verdicts, and the task score weighted_win_rate, the
// unweighted macro average of category win rates x 100. Pure, thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "metrics/mtbench_verdict.h"

namespace bhasa::metrics {

struct TurnVerdict {
  std::string category;  // metadata.category, compared exactly (case-sensitive)
  Verdict verdict;
};

struct WinRates {
  double win_rate = 0.0;                   // (#WIN + 0.5 #TIE) / #all, a fraction
  double weighted_win_rate = 0.0;          // 100 x mean over categories of wr(c)
  std::map<std::string, double> categories;  // wr(c), fractions
  std::map<std::string, long long> counts;   // "win", "lose", "tie", "error"
};

// LOSE and ERROR both count in the denominators. Empty input gives zeros.
WinRates ComputeWinRates(const std::vector<TurnVerdict>& verdicts);

}  // namespace bhasa::metrics
