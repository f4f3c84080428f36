#include "results/compare.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>
#include <tuple>

#include <yaml-cpp/yaml.h>

#include "common/error.h"
#include "results/results_doc.h"

namespace bhasa::results {

namespace {

// One side's score for a row, per run (NaN where the run lacks the row).
struct Key {
  std::string level, lang, competency, name;
  bool operator<(const Key& o) const {
    return std::tie(lang, competency, level, name) < std::tie(o.lang, o.competency, o.level, o.name);
  }
};

struct Collected {
  std::map<Key, std::vector<double>> values;  // per run
  std::set<Key> failed;                       // task rows whose scoring failed in some run
  std::vector<Key> order;
};

int LevelRank(const std::string& level) {
  if (level == "task") return 0;
  if (level == "group") return 1;
  if (level == "competency") return 2;
  if (level == "language") return 3;
  return 4;
}

// A task row identified without its level: (lang, competency, task).
using TaskId = std::tuple<std::string, std::string, std::string>;

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

// The roll-ups of one run over its task rows in `keep`, as AggregateRun
// builds them: group = its recorded value when none of the run's members was
// left out (it may be micro-averaged), else the mean of the kept members;
// competency = mean of ungrouped tasks and groups; language = mean of
// competencies; total = mean of languages.
std::vector<ScoreEntry> RollUp(const nlohmann::json& doc, const std::vector<ScoreEntry>& entries,
                               const std::set<TaskId>& keep) {
  std::map<std::tuple<std::string, std::string, std::string>, double> recorded_groups;
  // lang → competency → {ungrouped values, group → (kept values, all members kept)}
  struct Comp {
    std::vector<double> members;
    std::map<std::string, std::pair<std::vector<double>, bool>> groups;
  };
  std::map<std::string, std::map<std::string, Comp>> tree;
  for (const ScoreEntry& e : entries) {
    if (e.level == "group") recorded_groups[{e.lang, e.competency, e.name}] = e.value;
    if (e.level != "task") continue;
    const auto& tmeta = doc["tasks"].contains(e.name) ? doc["tasks"][e.name] : nlohmann::json::object();
    const std::string group = tmeta.is_object() ? tmeta.value("aggregation_group", "") : "";
    const bool kept = keep.count({e.lang, e.competency, e.name}) > 0;
    if (group.empty()) {
      if (kept) tree[e.lang][e.competency].members.push_back(e.value);
      continue;
    }
    auto& [values, whole] = tree[e.lang][e.competency].groups.try_emplace(group, std::vector<double>{}, true).first->second;
    if (kept) values.push_back(e.value);
    else whole = false;
  }
  std::vector<ScoreEntry> out;
  std::vector<double> lang_totals;
  for (auto& [lang, comps] : tree) {
    std::vector<double> comp_totals;
    for (auto& [comp, c] : comps) {
      for (const auto& [group, vw] : c.groups) {
        const auto& [values, whole] = vw;
        if (values.empty()) continue;
        auto rec = recorded_groups.find({lang, comp, group});
        double v = whole && rec != recorded_groups.end() ? rec->second : Mean(values);
        out.push_back({"group", lang, comp, group, v, false});
        c.members.push_back(v);
      }
      if (c.members.empty()) continue;
      comp_totals.push_back(Mean(c.members));
      out.push_back({"competency", lang, comp, "", comp_totals.back(), false});
    }
    if (comp_totals.empty()) continue;
    lang_totals.push_back(Mean(comp_totals));
    out.push_back({"language", lang, "", "", lang_totals.back(), false});
  }
  if (!lang_totals.empty()) out.push_back({"total", "", "", "", Mean(lang_totals), false});
  return out;
}

std::set<TaskId> TaskIds(const std::vector<std::vector<ScoreEntry>>& runs) {
  std::set<TaskId> ids;
  for (const auto& entries : runs)
    for (const ScoreEntry& e : entries)
      if (e.level == "task") ids.insert({e.lang, e.competency, e.name});
  return ids;
}

// One side's rows per run. With `common`, roll-ups are recomputed over those
// task rows instead of read from results.json.
Collected Collect(const std::vector<RunInput>& runs, const std::vector<std::vector<ScoreEntry>>& entries,
                  const std::set<TaskId>* common) {
  Collected c;
  for (size_t i = 0; i < runs.size(); ++i) {
    std::vector<ScoreEntry> rows;
    for (const ScoreEntry& e : entries[i])
      if (e.level == "task" || !common) rows.push_back(e);
    if (common)
      for (ScoreEntry& e : RollUp(runs[i].doc, entries[i], *common)) rows.push_back(std::move(e));
    for (const ScoreEntry& e : rows) {
      Key k{e.level, e.lang, e.competency, e.name};
      auto& vec = c.values[k];
      if (vec.empty()) c.order.push_back(k);
      vec.resize(runs.size(), std::nan(""));
      vec[i] = e.value;
      if (e.scoring_failed) c.failed.insert(k);
    }
  }
  return c;
}

// Mean over the runs that have the row, and the standard error of that mean
// (sample standard deviation / sqrt(n)), or -1 for fewer than two runs.
std::pair<double, double> MeanSe(const std::vector<double>& v) {
  double sum = 0;
  int n = 0;
  for (double x : v)
    if (!std::isnan(x)) sum += x, ++n;
  if (n == 0) return {0, -1};
  double mean = sum / n;
  if (n < 2) return {mean, -1};
  double ss = 0;
  for (double x : v)
    if (!std::isnan(x)) ss += (x - mean) * (x - mean);
  return {mean, std::sqrt(ss / (n - 1) / n)};
}

void CheckSide(const std::vector<RunInput>& runs, const char* side) {
  if (runs.empty()) throw Error(std::string("compare: no ") + side + " runs given");
  for (const auto& r : runs)
    if (r.model != runs[0].model)
      throw Error("compare: the " + std::string(side) + " mixes models ('" + runs[0].model + "' in " + runs[0].path +
                  ", '" + r.model + "' in " + r.path + "); give runs of one model per side");
}

void CheckVersions(const std::vector<RunInput>& baseline, const std::vector<RunInput>& current) {
  std::map<std::string, std::pair<std::string, std::string>> seen;  // task → (version, path)
  auto visit = [&](const std::vector<RunInput>& runs) {
    for (const auto& r : runs)
      for (const auto& [task, tj] : r.doc["tasks"].items()) {
        std::string version = tj.is_object() && tj.contains("version") ? tj["version"].dump() : "null";
        auto [it, fresh] = seen.insert({task, {version, r.path}});
        if (!fresh && it->second.first != version)
          throw Error("compare: refusing to compare task '" + task + "' across versions: " + it->second.first +
                      " in " + it->second.second + " but " + version + " in " + r.path);
      }
  };
  visit(baseline);
  visit(current);
}

double ThresholdFor(const CompareThresholds& t, const Key& k) {
  auto find = [](const std::map<std::string, double>& m, const std::string& key, double fallback) {
    auto it = m.find(key);
    return it == m.end() ? fallback : it->second;
  };
  if (k.level == "task") {
    if (auto it = t.tasks.find(k.name + "/" + k.lang); it != t.tasks.end()) return it->second;
    return find(t.tasks, k.name, t.max_drop);
  }
  if (k.level == "competency") return find(t.competencies, k.competency, t.max_drop);
  if (k.level == "language") return find(t.languages, k.lang, t.max_drop);
  return t.max_drop;
}

}  // namespace

CompareThresholds LoadThresholds(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw Error(path + ": cannot read thresholds file");
  } catch (const YAML::Exception& e) {
    throw FileError(path, e.mark.line + 1, std::string("malformed YAML: ") + e.msg);
  }
  CompareThresholds t;
  if (!root || root.IsNull()) return t;
  if (!root.IsMap()) throw Error(path + ": thresholds file must be a mapping (max_drop, tasks, competencies, languages)");
  auto number = [&](const YAML::Node& n, const std::string& where) {
    try {
      if (!n.IsScalar()) throw YAML::Exception(n.Mark(), "not a scalar");
      double v = n.as<double>();
      if (!(v >= 0)) throw YAML::Exception(n.Mark(), "negative");
      return v;
    } catch (const YAML::Exception&) {
      throw FileError(path, n.Mark().line + 1, where + ": expected a non-negative number of points");
    }
  };
  auto flat_map = [&](const YAML::Node& n, const std::string& key, std::map<std::string, double>& dst) {
    if (!n.IsMap()) throw FileError(path, n.Mark().line + 1, "'" + key + "' must be a mapping");
    for (const auto& kv : n) dst[kv.first.as<std::string>()] = number(kv.second, key + "." + kv.first.as<std::string>());
  };
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (key == "max_drop") {
      t.max_drop = number(kv.second, key);
    } else if (key == "tasks") {
      if (!kv.second.IsMap()) throw FileError(path, kv.second.Mark().line + 1, "'tasks' must be a mapping");
      for (const auto& tk : kv.second) {
        std::string task = tk.first.as<std::string>();
        if (tk.second.IsMap()) {
          for (const auto& lk : tk.second)
            t.tasks[task + "/" + lk.first.as<std::string>()] =
                number(lk.second, "tasks." + task + "." + lk.first.as<std::string>());
        } else {
          t.tasks[task] = number(tk.second, "tasks." + task);
        }
      }
    } else if (key == "competencies") {
      flat_map(kv.second, key, t.competencies);
    } else if (key == "languages") {
      flat_map(kv.second, key, t.languages);
    } else {
      throw FileError(path, kv.first.Mark().line + 1,
                      "unknown key '" + key + "' (expected max_drop, tasks, competencies, languages)");
    }
  }
  return t;
}

int CompareResult::regressions() const {
  int n = 0;
  for (const auto& r : rows) n += r.status == RowStatus::kRegression;
  return n;
}

int CompareResult::missing() const {
  int n = 0;
  for (const auto& r : rows) n += r.status == RowStatus::kOnlyBaseline;
  return n;
}

CompareResult CompareRuns(const std::vector<RunInput>& baseline, const std::vector<RunInput>& current,
                          const CompareOptions& options) {
  CheckSide(baseline, "baseline");
  CheckSide(current, "current");
  CheckVersions(baseline, current);
  if (options.sigma > 0 && baseline.size() < 2 && current.size() < 2)
    throw Error("compare: --sigma needs several runs on at least one side (got one baseline and one current run)");
  std::vector<std::vector<ScoreEntry>> b_entries, c_entries;
  for (const auto& r : baseline) b_entries.push_back(FlattenResults(r.doc));
  for (const auto& r : current) c_entries.push_back(FlattenResults(r.doc));
  // Averages over different task sets are not comparable: when a task row is
  // on one side only, every roll-up is recomputed over the rows both have.
  const std::set<TaskId> b_ids = TaskIds(b_entries), c_ids = TaskIds(c_entries);
  std::set<TaskId> common;
  std::set_intersection(b_ids.begin(), b_ids.end(), c_ids.begin(), c_ids.end(), std::inserter(common, common.end()));
  bool recompute = common.size() != b_ids.size() || common.size() != c_ids.size();
  for (const auto* side : {&b_entries, &c_entries})
    for (const auto& run : *side) recompute = recompute || TaskIds({run}).size() != common.size();
  Collected b = Collect(baseline, b_entries, recompute ? &common : nullptr);
  Collected c = Collect(current, c_entries, recompute ? &common : nullptr);
  std::vector<Key> keys = b.order;
  for (const auto& k : c.order)
    if (!b.values.count(k)) keys.push_back(k);
  std::stable_sort(keys.begin(), keys.end(), [](const Key& x, const Key& y) {
    if (x.level == "total" || y.level == "total") return LevelRank(x.level) < LevelRank(y.level);
    if (x.lang != y.lang) return x.lang < y.lang;
    if (x.level == "language" || y.level == "language") return LevelRank(x.level) < LevelRank(y.level);
    if (x.competency != y.competency) return x.competency < y.competency;
    if (LevelRank(x.level) != LevelRank(y.level)) return LevelRank(x.level) < LevelRank(y.level);
    return x.name < y.name;
  });
  CompareResult out;
  out.n_baseline_runs = static_cast<int>(baseline.size());
  out.n_current_runs = static_cast<int>(current.size());
  out.allow_missing = options.allow_missing;
  out.rollups_recomputed = recompute;
  out.n_common_tasks = static_cast<int>(common.size());
  for (const auto& k : keys) {
    CompareRow r;
    r.level = k.level;
    r.lang = k.lang;
    r.competency = k.competency;
    r.name = k.name;
    r.threshold = ThresholdFor(options.thresholds, k);
    r.scoring_failed = b.failed.count(k) || c.failed.count(k);
    r.recomputed = recompute && k.level != "task";
    auto bi = b.values.find(k);
    auto ci = c.values.find(k);
    if (bi != b.values.end()) std::tie(r.baseline, r.baseline_se) = MeanSe(bi->second);
    if (ci != c.values.end()) std::tie(r.current, r.current_se) = MeanSe(ci->second);
    if (bi == b.values.end()) {
      r.status = RowStatus::kOnlyCurrent;
    } else if (ci == c.values.end()) {
      r.status = RowStatus::kOnlyBaseline;
    } else {
      r.delta = r.current - r.baseline;
      double drop = -r.delta;
      if (r.threshold >= 0 && drop > r.threshold) {
        r.status = RowStatus::kRegression;
        if (options.sigma > 0) {
          double se = std::sqrt(std::max(r.baseline_se, 0.0) * std::max(r.baseline_se, 0.0) +
                                std::max(r.current_se, 0.0) * std::max(r.current_se, 0.0));
          if (drop <= options.sigma * se) r.status = RowStatus::kWithinNoise;
        }
      }
    }
    out.rows.push_back(std::move(r));
  }
  return out;
}

}  // namespace bhasa::results
