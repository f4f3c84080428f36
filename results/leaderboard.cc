#include "results/leaderboard.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/error.h"
#include "results/provenance.h"

namespace bhasa::results {

namespace {

using OJson = nlohmann::ordered_json;

OJson MeanStderr(const OJson& node, const std::string& prefix = "") {
  return {{"mean", node.at(prefix + "mean")}, {"stderr", node.at(prefix + "stderr")}};
}

bool PlainScalarOk(const std::string& s) {
  if (s.empty()) return false;
  static const std::string kSpecialStart = "-?:,[]{}#&*!|>'\"%@`";
  if (kSpecialStart.find(s[0]) != std::string::npos || s[0] == ' ' || s.back() == ' ') return false;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos || s.back() == ':') return false;
  for (unsigned char c : s)
    if (c < 0x20 || c >= 0x7f) return false;
  // Words YAML would read as something other than a string.
  static const char* kReserved[] = {"null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False", "FALSE",
                                    "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y",
                                    "Y", "n", "N"};
  for (const char* r : kReserved)
    if (s == r) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  if (end && *end == '\0') return false;  // looks like a number
  return true;
}

std::string YamlString(const std::string& s) {
  if (PlainScalarOk(s)) return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "''";
    else out += c;
  }
  return out + "'";
}

std::string Scalar(const OJson& v) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_null()) return "null";
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number_unsigned()) return std::to_string(v.get<unsigned long long>());
  if (v.is_number_float()) return PyYamlFloat(v.get<double>());
  if (v.is_string()) return YamlString(v.get<std::string>());
  throw Error("not a YAML scalar: " + v.dump());
}

void EmitMapping(const OJson& m, int indent, std::string& out) {
  const std::string pad(indent, ' ');
  for (const auto& [k, v] : m.items()) {
    out += pad + YamlString(k) + ":";
    if (v.is_object()) {
      if (v.empty()) {
        out += " {}\n";
      } else {
        out += "\n";
        EmitMapping(v, indent + 2, out);
      }
    } else if (v.is_array()) {
      if (v.empty()) {
        out += " []\n";
      } else {
        out += "\n";
        for (const auto& e : v) out += pad + "- " + Scalar(e) + "\n";
      }
    } else {
      out += " " + Scalar(v) + "\n";
    }
  }
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string CsvNumber(const OJson& v) { return v.is_number() ? v.dump() : ""; }

}  // namespace

std::string LeaderboardCsv(const OJson& leaderboard) {
  std::string out = "model,level,lang,competency,name,mean,stderr,n_runs,incomplete,estimator\n";
  const std::string estimator = CsvField(leaderboard.value("estimator", std::string(kLeaderboardEstimator)));
  for (const auto& item : leaderboard.at("models").items()) {
    // Named, not a structured binding: the lambda below captures it (clang < 16 cannot).
    const std::string& model = item.key();
    const OJson& m = item.value();
    auto row = [&](const std::string& level, const std::string& lang, const std::string& comp, const std::string& name,
                   const OJson& node, const std::string& n_runs) {
      if (!node.is_object()) return;
      out += CsvField(model) + "," + level + "," + CsvField(lang) + "," + CsvField(comp) + "," + CsvField(name) + "," +
             CsvNumber(node["mean"]) + "," + CsvNumber(node["stderr"]) + "," + n_runs + "," +
             (node.value("incomplete", false) ? "true" : "false") + "," + estimator + "\n";
    };
    const std::string model_runs = m.at("n_runs").dump();
    OJson overall = m.at("overall");
    if (m.value("incomplete", false)) overall["incomplete"] = true;
    row("overall", "", "", "", overall, model_runs);
    row("sea", "", "", "", m.at("sea"), model_runs);
    for (const auto& [lang, l] : m.at("languages").items()) {
      row("language", lang, "", "", l, model_runs);
      for (const auto& [comp, c] : l.at("competencies").items()) {
        row("competency", lang, comp, "", c, model_runs);
        for (const auto& [group, g] : c.at("aggregation_groups").items()) row("group", lang, comp, group, g, model_runs);
        for (const auto& [task, t] : c.at("tasks").items())
          row("task", lang, comp, task, t, t.contains("n_runs") ? t["n_runs"].dump() : model_runs);
      }
    }
  }
  return out;
}

std::string PyYamlFloat(double v) {
  if (std::isnan(v)) return ".nan";
  if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  // sci = [-]d[.ddd]e±XX: shortest round-trip digits and exponent.
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  int exp10 = std::atoi(sci.c_str() + e + 1);
  int decpt = exp10 + 1;  // value = 0.DIGITS × 10^decpt
  std::string s;
  if (decpt > 16 || decpt < -3) {
    // repr: d[.ddd]e±XX with at least two exponent digits; PyYAML adds ".0" when no '.'.
    s = digits.substr(0, 1);
    s += "." + (digits.size() > 1 ? digits.substr(1) : std::string("0"));
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    s += eb;
  } else if (decpt <= 0) {
    s = "0." + std::string(static_cast<size_t>(-decpt), '0') + digits;
  } else if (static_cast<size_t>(decpt) >= digits.size()) {
    s = digits + std::string(static_cast<size_t>(decpt) - digits.size(), '0') + ".0";
  } else {
    s = digits.substr(0, static_cast<size_t>(decpt)) + "." + digits.substr(static_cast<size_t>(decpt));
  }
  return neg ? "-" + s : s;
}

std::string ScoresYaml(const OJson& scores) {
  std::string out;
  EmitMapping(scores, 0, out);
  return out;
}

OJson LeaderboardEntry(const OJson& scores, const ModelRuns& model, const std::vector<TaskRuns>& tasks) {
  OJson entry = OJson::object();
  entry["n_runs"] = model.runs.size();
  OJson runs = OJson::array();
  for (const auto& r : model.runs)
    runs.push_back({{"run_number", r.run_number}, {"path", r.path}, {"provenance", ProvenanceOf(r)}});
  entry["runs"] = runs;
  entry["sea"] = scores.contains("sea_mean") ? MeanStderr(scores, "sea_") : OJson(nullptr);
  entry["overall"] = MeanStderr(scores);
  if (scores.value("is_incomplete", false)) entry["incomplete"] = true;
  OJson langs = OJson::object();
  for (const auto& [lang, lj] : scores.items()) {
    if (!lj.is_object()) continue;
    OJson l = MeanStderr(lj);
    OJson comps = OJson::object();
    for (const auto& [comp, cj] : lj.items()) {
      if (!cj.is_object()) continue;
      OJson c = MeanStderr(cj);
      OJson ts = OJson::object();
      for (const auto& [task, tj] : cj["tasks"].items()) {
        OJson t = MeanStderr(tj);
        for (const auto& tr : tasks)
          if (tr.task == task && tr.lang == lang) {
            t["version"] = tr.version.empty() ? OJson(nullptr) : OJson::parse(tr.version);
            size_t n_runs = 0;
            for (const auto& s : tr.scores) n_runs += s.empty() ? 0 : 1;
            t["n_runs"] = n_runs;
          }
        if (tj.contains("aggregation_group")) t["aggregation_group"] = tj["aggregation_group"];
        if (tj.value("is_incomplete", false)) t["incomplete"] = true;
        ts[task] = t;
      }
      c["tasks"] = ts;
      OJson gs = OJson::object();
      for (const auto& [g, gj] : cj["aggregation_groups"].items()) gs[g] = MeanStderr(gj);
      c["aggregation_groups"] = gs;
      comps[comp] = c;
    }
    l["competencies"] = comps;
    langs[lang] = l;
  }
  entry["languages"] = langs;
  return entry;
}

OJson MakeLeaderboard(const std::vector<ModelRuns>& models, const BootstrapOptions& options) {
  OJson out = {{"schema", "bhasa-leaderboard"},
               {"schema_version", kLeaderboardSchemaVersion},
               {"bhasa_version", BHASA_VERSION},
               {"estimator", kLeaderboardEstimator},
               {"estimator_description", kLeaderboardEstimatorDescription},
               {"bootstrap",
                {{"method", "seahelm-run-resampling"},
                 {"seed", options.seed},
                 {"n_bootstraps", options.n_bootstraps},
                 {"sea_languages", options.sea_languages}}}};
  OJson ms = OJson::object();
  for (const auto& m : models) {
    auto tasks = CollectTaskRuns(m);
    auto scores = BootstrapScores(tasks, options);
    ms[m.model] = LeaderboardEntry(scores, m, tasks);
  }
  out["models"] = ms;
  return out;
}

}  // namespace bhasa::results
