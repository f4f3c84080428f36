#include "metrics/mtbench_win_rate.h"

namespace bhasa::metrics {

WinRates ComputeWinRates(const std::vector<TurnVerdict>& verdicts) {
  WinRates out;
  out.counts = {{"win", 0}, {"lose", 0}, {"tie", 0}, {"error", 0}};
  std::map<std::string, std::pair<double, long long>> per_cat;  // points, n
  double points = 0;
  for (const auto& tv : verdicts) {
    const double p = VerdictPoints(tv.verdict);
    points += p;
    per_cat[tv.category].first += p;
    per_cat[tv.category].second += 1;
    out.counts[ToString(tv.verdict)] += 1;
  }
  if (verdicts.empty()) return out;
  out.win_rate = points / static_cast<double>(verdicts.size());
  double sum = 0;
  for (const auto& [cat, pn] : per_cat) {
    out.categories[cat] = pn.first / static_cast<double>(pn.second);
    sum += out.categories[cat];
  }
  out.weighted_win_rate = 100.0 * sum / static_cast<double>(per_cat.size());
  return out;
}

}  // namespace bhasa::metrics
