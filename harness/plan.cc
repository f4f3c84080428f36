#include "harness/plan.h"

#include <algorithm>
#include <set>

#include "common/error.h"

namespace bhasa {

namespace {

std::string Join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

// A name is a task, or an aggregation group standing for its members.
std::vector<std::string> Expand(const tasks::TaskCatalog& cat, const std::string& name) {
  if (cat.tasks.count(name)) return {name};
  auto members = cat.GroupMembers(name);
  if (!members.empty()) return members;
  std::set<std::string> valid;
  for (const auto& [k, v] : cat.tasks) {
    valid.insert(k);
    if (!v.aggregation_group.empty()) valid.insert(v.aggregation_group);
  }
  throw Error("unknown task '" + name + "' (valid: " + Join(valid) + ")");
}

}  // namespace

std::vector<PlannedTask> ResolvePlan(const tasks::TaskCatalog& cat, const PlanRequest& req) {
  std::set<std::string> all_langs;
  for (const auto& [k, t] : cat.tasks)
    for (const auto& [l, v] : t.languages) all_langs.insert(l);
  for (const auto& l : req.languages)
    if (!all_langs.count(l)) throw Error("unknown language '" + l + "' (valid: " + Join(all_langs) + ")");
  std::set<std::string> want_langs(req.languages.begin(), req.languages.end());

  std::set<std::string> skip;
  if (req.base_model && cat.constants.contains("base_models_skip_tasks"))
    for (const auto& t : cat.constants["base_models_skip_tasks"]) skip.insert(t.get<std::string>());

  std::vector<PlannedTask> plan;
  std::set<std::pair<std::string, std::string>> seen;
  auto add = [&](const std::string& task, const std::string& lang) {
    if (skip.count(task) || !seen.insert({task, lang}).second) return;
    plan.push_back({task, lang});
  };

  if (!req.suite.empty()) {
    auto it = cat.suites.find(req.suite);
    if (it == cat.suites.end()) {
      std::set<std::string> valid;
      for (const auto& [k, v] : cat.suites) valid.insert(k);
      throw Error("unknown suite '" + req.suite + "' (valid: " + (valid.empty() ? "none defined" : Join(valid)) + ")");
    }
    std::set<std::string> only;
    for (const auto& n : req.tasks)
      for (const auto& t : Expand(cat, n)) only.insert(t);
    for (const auto& [lang, names] : it->second) {
      if (!want_langs.empty() && !want_langs.count(lang)) continue;
      for (const auto& n : names) {
        // Suites may list tasks this catalog lacks (e.g. SEA-HELM tasks outside our families).
        std::vector<std::string> expanded;
        if (cat.tasks.count(n)) expanded = {n};
        else expanded = cat.GroupMembers(n);
        for (const auto& t : expanded)
          if ((only.empty() || only.count(t)) && cat.tasks.at(t).languages.count(lang)) add(t, lang);
      }
    }
    return plan;
  }

  std::vector<std::string> names;
  const bool all = req.tasks.empty() || (req.tasks.size() == 1 && req.tasks[0] == "all");
  if (all) {
    // Log-likelihood tasks run when named or in a suite (SEA-HELM keeps them in seahelm_logprobs).
    for (const auto& [k, v] : cat.tasks)
      if (!v.use_logprobs) names.push_back(k);
  } else {
    for (const auto& n : req.tasks)
      for (const auto& t : Expand(cat, n)) names.push_back(t);
  }
  for (const auto& t : names) {
    const auto& cfg = cat.Get(t);
    bool explicit_task = !all;
    bool any = false;
    for (const auto& [lang, lc] : cfg.languages) {
      if (!want_langs.empty() && !want_langs.count(lang)) continue;
      add(t, lang);
      any = true;
    }
    if (!any && explicit_task && !want_langs.empty()) {
      std::set<std::string> have;
      for (const auto& [l, v] : cfg.languages) have.insert(l);
      throw Error("task '" + t + "' has none of the requested languages (it has: " + Join(have) + ")");
    }
  }
  return plan;
}

}  // namespace bhasa
