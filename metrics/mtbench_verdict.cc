#include "metrics/mtbench_verdict.h"

namespace bhasa::metrics {

const char* ToString(Verdict v) {
  switch (v) {
    case Verdict::kWin: return "win";
    case Verdict::kLose: return "lose";
    case Verdict::kTie: return "tie";
    case Verdict::kError: return "error";
  }
  return "error";
}

const char* ToString(Position p) { return p == Position::kBaselineBefore ? "baseline-before" : "baseline-after"; }

Verdict ParseJudgement(std::string_view text, Position position, const JudgementLabels& labels) {
  const bool a = text.find(labels.a_wins) != std::string_view::npos;
  const bool b = text.find(labels.b_wins) != std::string_view::npos;
  const bool tie = text.find(labels.tie) != std::string_view::npos;
  if (a + b + tie != 1) return Verdict::kError;  // none, or conflicting labels (FastChat would pick one)
  if (tie) return Verdict::kTie;
  const bool reversed = position == Position::kBaselineBefore;  // A is the baseline
  if (a) return reversed ? Verdict::kLose : Verdict::kWin;
  return reversed ? Verdict::kWin : Verdict::kLose;
}

Verdict FinalJudgement(Verdict j1, Verdict j2, bool ties_allowed) {
  if (ties_allowed) return (j1 == Verdict::kTie || j1 != j2) ? Verdict::kTie : j1;
  return j1 != j2 ? Verdict::kError : j1;
}

double VerdictPoints(Verdict v) {
  switch (v) {
    case Verdict::kWin: return 1.0;
    case Verdict::kTie: return 0.5;
    default: return 0.0;
  }
}

}  // namespace bhasa::metrics
