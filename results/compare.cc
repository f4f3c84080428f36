#include "results/compare.h"

#include <cmath>
#include <cstdio>
#include <set>

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

Collected Collect(const std::vector<RunInput>& runs) {
  Collected c;
  for (size_t i = 0; i < runs.size(); ++i) {
    for (const ScoreEntry& e : FlattenResults(runs[i].doc)) {
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

std::string Fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string RowLabel(const CompareRow& r) {
  if (r.level == "total") return "total";
  if (r.level == "language") return "language " + r.lang;
  if (r.level == "competency") return r.competency + " (" + r.lang + ")";
  return r.name + " (" + r.lang + ", " + r.competency + ")";
}

std::string XmlEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string GithubEscape(const std::string& s, bool property) {
  std::string o;
  for (char c : s) {
    if (c == '%') o += "%25";
    else if (c == '\r') o += "%0D";
    else if (c == '\n') o += "%0A";
    else if (property && c == ':') o += "%3A";
    else if (property && c == ',') o += "%2C";
    else o += c;
  }
  return o;
}

std::string Describe(const CompareRow& r) {
  std::string s = RowLabel(r) + ": " + Fmt(r.baseline) + " -> " + Fmt(r.current) + " (" + (r.delta >= 0 ? "+" : "") +
                  Fmt(r.delta) + " points";
  if (r.threshold >= 0) s += ", limit " + Fmt(r.threshold);
  double se = std::sqrt(std::max(r.baseline_se, 0.0) * std::max(r.baseline_se, 0.0) +
                        std::max(r.current_se, 0.0) * std::max(r.current_se, 0.0));
  if (r.baseline_se >= 0 || r.current_se >= 0) s += ", stderr " + Fmt(se);
  return s + ")";
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

bool CompareResult::regression() const {
  for (const auto& r : rows)
    if (r.status == RowStatus::kRegression) return true;
  return false;
}

CompareResult CompareRuns(const std::vector<RunInput>& baseline, const std::vector<RunInput>& current,
                          const CompareOptions& options) {
  CheckSide(baseline, "baseline");
  CheckSide(current, "current");
  CheckVersions(baseline, current);
  if (options.sigma > 0 && baseline.size() < 2 && current.size() < 2)
    throw Error("compare: --sigma needs several runs on at least one side (got one baseline and one current run)");
  Collected b = Collect(baseline), c = Collect(current);
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
  for (const auto& k : keys) {
    CompareRow r;
    r.level = k.level;
    r.lang = k.lang;
    r.competency = k.competency;
    r.name = k.name;
    r.threshold = ThresholdFor(options.thresholds, k);
    r.scoring_failed = b.failed.count(k) || c.failed.count(k);
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

std::string FormatCompareTable(const CompareResult& res) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-10s %-5s %-22s %-28s %9s %9s %8s %7s  %s\n", "level", "lang", "competency", "name",
                "baseline", "current", "delta", "stderr", "status");
  out += line;
  for (const auto& r : res.rows) {
    std::string se = "-";
    if (r.baseline_se >= 0 || r.current_se >= 0)
      se = Fmt(std::sqrt(std::max(r.baseline_se, 0.0) * std::max(r.baseline_se, 0.0) +
                         std::max(r.current_se, 0.0) * std::max(r.current_se, 0.0)));
    std::string status;
    switch (r.status) {
      case RowStatus::kOk: status = "ok"; break;
      case RowStatus::kRegression: status = "REGRESSION (limit " + Fmt(r.threshold) + ")"; break;
      case RowStatus::kWithinNoise: status = "drop within noise"; break;
      case RowStatus::kOnlyBaseline: status = "missing in current"; break;
      case RowStatus::kOnlyCurrent: status = "new in current"; break;
    }
    if (r.scoring_failed) status += " [scoring failed in a run]";
    bool both = r.status != RowStatus::kOnlyBaseline && r.status != RowStatus::kOnlyCurrent;
    std::snprintf(line, sizeof line, "%-10s %-5s %-22s %-28s %9s %9s %8s %7s  %s\n", r.level.c_str(), r.lang.c_str(),
                  r.competency.c_str(), r.name.c_str(), r.status == RowStatus::kOnlyCurrent ? "-" : Fmt(r.baseline).c_str(),
                  r.status == RowStatus::kOnlyBaseline ? "-" : Fmt(r.current).c_str(),
                  both ? ((r.delta >= 0 ? "+" : "") + Fmt(r.delta)).c_str() : "-", se.c_str(), status.c_str());
    out += line;
  }
  int n_reg = 0;
  for (const auto& r : res.rows) n_reg += r.status == RowStatus::kRegression;
  std::snprintf(line, sizeof line, "\n%d baseline run(s), %d current run(s): %d regression(s)\n", res.n_baseline_runs,
                res.n_current_runs, n_reg);
  out += line;
  return out;
}

std::string CompareJUnit(const CompareResult& res) {
  int failures = 0, skipped = 0;
  for (const auto& r : res.rows) {
    failures += r.status == RowStatus::kRegression;
    skipped += r.status == RowStatus::kOnlyBaseline || r.status == RowStatus::kOnlyCurrent;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"bhasa compare\" tests=\"" + std::to_string(res.rows.size()) + "\" failures=\"" +
         std::to_string(failures) + "\">\n";
  out += "  <testsuite name=\"bhasa compare\" tests=\"" + std::to_string(res.rows.size()) + "\" failures=\"" +
         std::to_string(failures) + "\" errors=\"0\" skipped=\"" + std::to_string(skipped) + "\">\n";
  for (const auto& r : res.rows) {
    std::string cls = r.level == "total" ? "total" : r.lang + (r.competency.empty() ? "" : "." + r.competency);
    std::string name = r.level == "task" || r.level == "group" ? r.name : r.level;
    out += "    <testcase classname=\"" + XmlEscape(cls) + "\" name=\"" + XmlEscape(name) + "\"";
    if (r.status == RowStatus::kOk || r.status == RowStatus::kWithinNoise) {
      out += "/>\n";
      continue;
    }
    out += ">\n";
    if (r.status == RowStatus::kRegression)
      out += "      <failure message=\"" + XmlEscape(Describe(r)) + "\" type=\"regression\"/>\n";
    else
      out += std::string("      <skipped message=\"") +
             (r.status == RowStatus::kOnlyBaseline ? "missing in current" : "new in current") + "\"/>\n";
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string CompareGithub(const CompareResult& res) {
  std::string out;
  for (const auto& r : res.rows) {
    switch (r.status) {
      case RowStatus::kRegression:
        out += "::error title=" + GithubEscape("bhasa regression: " + RowLabel(r), true) +
               "::" + GithubEscape(Describe(r), false) + "\n";
        break;
      case RowStatus::kWithinNoise:
        out += "::warning title=" + GithubEscape("bhasa drop within noise: " + RowLabel(r), true) +
               "::" + GithubEscape(Describe(r), false) + "\n";
        break;
      case RowStatus::kOnlyBaseline:
        out += "::warning title=" + GithubEscape("bhasa missing result: " + RowLabel(r), true) +
               "::" + GithubEscape(RowLabel(r) + " is in the baseline but not in the current results", false) + "\n";
        break;
      case RowStatus::kOnlyCurrent:
      case RowStatus::kOk:
        break;
    }
  }
  int n_reg = 0;
  for (const auto& r : res.rows) n_reg += r.status == RowStatus::kRegression;
  out += "::notice title=bhasa compare::" + std::to_string(res.rows.size()) + " rows compared, " +
         std::to_string(n_reg) + " regression(s)\n";
  return out;
}

}  // namespace bhasa::results
