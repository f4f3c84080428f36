// The output formats of `bhasa compare`: table, JUnit XML, GitHub workflow
// commands, JSON and Markdown, all from one CompareResult.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "results/compare.h"

namespace bhasa::results {

namespace {

std::string Fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string Signed(double v) { return (v >= 0 ? "+" : "") + Fmt(v); }

// sqrt(se_b² + se_c²), or < 0 when neither side has several runs.
double DeltaStderr(const CompareRow& r) {
  if (r.baseline_se < 0 && r.current_se < 0) return -1;
  const double b = std::max(r.baseline_se, 0.0), c = std::max(r.current_se, 0.0);
  return std::sqrt(b * b + c * c);
}

bool OnBothSides(const CompareRow& r) {
  return r.status != RowStatus::kOnlyBaseline && r.status != RowStatus::kOnlyCurrent;
}

std::string RowLabel(const CompareRow& r) {
  if (r.level == "total") return "total";
  if (r.level == "language") return "language " + r.lang;
  if (r.level == "competency") return r.competency + " (" + r.lang + ")";
  return r.name + " (" + r.lang + ", " + r.competency + ")";
}

std::string StatusText(const CompareRow& r, bool allow_missing) {
  std::string s;
  switch (r.status) {
    case RowStatus::kOk: s = "ok"; break;
    case RowStatus::kRegression: s = "REGRESSION (limit " + Fmt(r.threshold) + ")"; break;
    case RowStatus::kWithinNoise: s = "drop within noise"; break;
    case RowStatus::kOnlyBaseline: s = allow_missing ? "missing in current (allowed)" : "MISSING in current"; break;
    case RowStatus::kOnlyCurrent: s = "new in current"; break;
  }
  if (r.scoring_failed) s += " [scoring failed in a run]";
  if (r.recomputed) s += " [common rows]";
  return s;
}

// The sentence every format prints when roll-ups were recomputed.
std::string CommonRowsNote(const CompareResult& res) {
  return "group, competency, language and total rows are recomputed over the " + std::to_string(res.n_common_tasks) +
         " task rows both sides have (the sides' task sets differ)";
}

std::string Verdict(const CompareResult& res) {
  std::string s = std::to_string(res.n_baseline_runs) + " baseline run(s), " + std::to_string(res.n_current_runs) +
                  " current run(s): " + std::to_string(res.regressions()) + " regression(s), " +
                  std::to_string(res.missing()) + " row(s) missing in current";
  if (res.missing() > 0) s += res.allow_missing ? " (allowed by --allow-missing)" : " (fail; --allow-missing accepts them)";
  return s + (res.gate_failed() ? ": FAIL" : ": pass");
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

std::string MarkdownEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '|' || c == '\\' || c == '*' || c == '_' || c == '`') o += '\\';
    o += c;
  }
  return o;
}

std::string Describe(const CompareRow& r) {
  std::string s = RowLabel(r) + ": " + Fmt(r.baseline) + " -> " + Fmt(r.current) + " (" + Signed(r.delta) + " points";
  if (r.threshold >= 0) s += ", limit " + Fmt(r.threshold);
  if (double se = DeltaStderr(r); se >= 0) s += ", stderr " + Fmt(se);
  return s + ")";
}

}  // namespace

const char* StatusName(RowStatus s) {
  switch (s) {
    case RowStatus::kOk: return "ok";
    case RowStatus::kRegression: return "regression";
    case RowStatus::kWithinNoise: return "within_noise";
    case RowStatus::kOnlyBaseline: return "missing";
    case RowStatus::kOnlyCurrent: return "new";
  }
  return "ok";
}

std::string FormatCompareTable(const CompareResult& res) {
  std::string out;
  char line[640];
  std::snprintf(line, sizeof line, "%-10s %-5s %-22s %-28s %9s %9s %8s %7s  %s\n", "level", "lang", "competency", "name",
                "baseline", "current", "delta", "stderr", "status");
  out += line;
  for (const auto& r : res.rows) {
    const double se = DeltaStderr(r);
    std::snprintf(line, sizeof line, "%-10s %-5s %-22s %-28s %9s %9s %8s %7s  %s\n", r.level.c_str(), r.lang.c_str(),
                  r.competency.c_str(), r.name.c_str(), r.status == RowStatus::kOnlyCurrent ? "-" : Fmt(r.baseline).c_str(),
                  r.status == RowStatus::kOnlyBaseline ? "-" : Fmt(r.current).c_str(),
                  OnBothSides(r) ? Signed(r.delta).c_str() : "-", se >= 0 ? Fmt(se).c_str() : "-",
                  StatusText(r, res.allow_missing).c_str());
    out += line;
  }
  out += "\n";
  if (res.rollups_recomputed) out += "note: " + CommonRowsNote(res) + "\n";
  return out + Verdict(res) + "\n";
}

std::string CompareJUnit(const CompareResult& res) {
  int failures = 0, skipped = 0;
  for (const auto& r : res.rows) {
    const bool missing_fails = r.status == RowStatus::kOnlyBaseline && !res.allow_missing;
    failures += r.status == RowStatus::kRegression || missing_fails;
    skipped += !OnBothSides(r) && !missing_fails;
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"bhasa compare\" tests=\"" + std::to_string(res.rows.size()) + "\" failures=\"" +
         std::to_string(failures) + "\">\n";
  out += "  <testsuite name=\"bhasa compare\" tests=\"" + std::to_string(res.rows.size()) + "\" failures=\"" +
         std::to_string(failures) + "\" errors=\"0\" skipped=\"" + std::to_string(skipped) + "\">\n";
  if (res.rollups_recomputed)
    out += "    <properties><property name=\"note\" value=\"" + XmlEscape(CommonRowsNote(res)) + "\"/></properties>\n";
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
    else if (r.status == RowStatus::kOnlyBaseline && !res.allow_missing)
      out += "      <failure message=\"" + XmlEscape(RowLabel(r) + " is in the baseline but not in the current results") +
             "\" type=\"missing\"/>\n";
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
        out += std::string(res.allow_missing ? "::warning" : "::error") + " title=" +
               GithubEscape("bhasa missing result: " + RowLabel(r), true) +
               "::" + GithubEscape(RowLabel(r) + " is in the baseline but not in the current results", false) + "\n";
        break;
      case RowStatus::kOnlyCurrent:
      case RowStatus::kOk:
        break;
    }
  }
  if (res.rollups_recomputed) out += "::notice title=bhasa compare::" + GithubEscape(CommonRowsNote(res), false) + "\n";
  out += "::notice title=bhasa compare::" + GithubEscape(Verdict(res), false) + "\n";
  return out;
}

nlohmann::ordered_json CompareJson(const CompareResult& res) {
  using OJson = nlohmann::ordered_json;
  OJson rows = OJson::array();
  for (const auto& r : res.rows) {
    const double se = DeltaStderr(r);
    rows.push_back({{"level", r.level},
                    {"lang", r.lang},
                    {"competency", r.competency},
                    {"name", r.name},
                    {"baseline", r.status == RowStatus::kOnlyCurrent ? OJson(nullptr) : OJson(r.baseline)},
                    {"current", r.status == RowStatus::kOnlyBaseline ? OJson(nullptr) : OJson(r.current)},
                    {"delta", OnBothSides(r) ? OJson(r.delta) : OJson(nullptr)},
                    {"stderr", se >= 0 ? OJson(se) : OJson(nullptr)},
                    {"threshold", r.threshold >= 0 ? OJson(r.threshold) : OJson(nullptr)},
                    {"status", StatusName(r.status)},
                    {"scoring_failed", r.scoring_failed},
                    {"recomputed", r.recomputed}});
  }
  return {{"schema", "bhasa-compare"},
          {"schema_version", 1},
          {"passed", !res.gate_failed()},
          {"regressions", res.regressions()},
          {"missing", res.missing()},
          {"allow_missing", res.allow_missing},
          {"rollups_recomputed", res.rollups_recomputed},
          {"n_common_tasks", res.n_common_tasks},
          {"n_baseline_runs", res.n_baseline_runs},
          {"n_current_runs", res.n_current_runs},
          {"rows", rows}};
}

std::string CompareMarkdown(const CompareResult& res) {
  std::string out = std::string("**bhasa compare: ") + (res.gate_failed() ? "FAIL" : "pass") + "**\n\n";
  out += "| level | lang | competency | name | baseline | current | delta | stderr | status |\n";
  out += "|---|---|---|---|---:|---:|---:|---:|---|\n";
  for (const auto& r : res.rows) {
    const double se = DeltaStderr(r);
    out += "| " + r.level + " | " + MarkdownEscape(r.lang) + " | " + MarkdownEscape(r.competency) + " | " +
           MarkdownEscape(r.name) + " | " + (r.status == RowStatus::kOnlyCurrent ? "-" : Fmt(r.baseline)) + " | " +
           (r.status == RowStatus::kOnlyBaseline ? "-" : Fmt(r.current)) + " | " +
           (OnBothSides(r) ? Signed(r.delta) : "-") + " | " + (se >= 0 ? Fmt(se) : "-") + " | " +
           MarkdownEscape(StatusText(r, res.allow_missing)) + " |\n";
  }
  out += "\n";
  if (res.rollups_recomputed) out += "Note: " + CommonRowsNote(res) + ".\n\n";
  return out + Verdict(res) + "\n";
}

}  // namespace bhasa::results
