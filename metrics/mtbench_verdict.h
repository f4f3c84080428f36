// MT-Bench pairwise verdicts (spec B.6): parsing a judge output and
// consolidating the two position orders. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace bhasa::metrics {

// All verdicts are from the evaluated model's point of view.
enum class Verdict { kWin, kLose, kTie, kError };
const char* ToString(Verdict v);

// Which side the baseline answer was shown on. baseline-before: A = baseline,
// B = model; baseline-after: A = model, B = baseline.
enum class Position { kBaselineBefore, kBaselineAfter };
const char* ToString(Position p);

struct JudgementLabels {
  std::string a_wins = "[[A]]";
  std::string b_wins = "[[B]]";
  std::string tie = "[[C]]";
};

// Plain substring tests on the whole output. Exactly one *distinct* label
// must appear (repeats of the same label are fine), otherwise kError.
Verdict ParseJudgement(std::string_view judge_output, Position position, const JudgementLabels& labels = {});

// get_final_judgement(j1 = baseline-before, j2 = baseline-after). With ties
// allowed: a tie in j1 or any disagreement -> kTie, else j1 (so ERROR+ERROR
// stays kError). Without ties: disagreement -> kError, else the shared verdict.
Verdict FinalJudgement(Verdict baseline_before, Verdict baseline_after, bool ties_allowed = true);

// WIN 1, TIE 0.5, LOSE 0, ERROR 0.
double VerdictPoints(Verdict v);

}  // namespace bhasa::metrics
