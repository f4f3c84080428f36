#include "results/aggregate.h"

#include <map>

namespace bhasa::results {

namespace {

double Mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

}  // namespace

nlohmann::json AggregateRun(const std::vector<TaskScore>& scores) {
  // lang → competency → list of scores
  std::map<std::string, std::map<std::string, std::vector<const TaskScore*>>> tree;
  for (const auto& s : scores) tree[s.lang][s.competency].push_back(&s);

  nlohmann::json out = nlohmann::json::object();
  std::vector<double> lang_totals;
  for (const auto& [lang, comps] : tree) {
    nlohmann::json lj = nlohmann::json::object();
    std::vector<double> comp_totals;
    for (const auto& [comp, tasks] : comps) {
      nlohmann::json cj = nlohmann::json::object();
      std::vector<double> members;  // ungrouped tasks and groups, one value each
      std::map<std::string, std::vector<const TaskScore*>> groups;
      for (const TaskScore* t : tasks) {
        cj[t->task] = t->metrics;
        if (t->group.empty()) members.push_back(t->score);
        else groups[t->group].push_back(t);
      }
      for (const auto& [g, gt] : groups) {
        double v;
        if (gt.front()->aggregation_type == "micro-average") {
          double num = 0, den = 0;
          for (const auto* t : gt) { num += t->score * t->n_rows; den += t->n_rows; }
          v = den > 0 ? num / den : 0;
        } else {
          std::vector<double> xs;
          for (const auto* t : gt) xs.push_back(t->score);
          v = Mean(xs);
        }
        cj[g] = v;
        members.push_back(v);
      }
      double total = Mean(members);
      cj["total"] = total;
      comp_totals.push_back(total);
      lj[comp] = std::move(cj);
    }
    double lt = Mean(comp_totals);
    lj["total"] = lt;
    lang_totals.push_back(lt);
    out[lang] = std::move(lj);
  }
  out["total"] = Mean(lang_totals);
  return out;
}

}  // namespace bhasa::results
