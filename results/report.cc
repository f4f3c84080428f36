#include "results/report.h"

#include <cmath>
#include <ctime>
#include <map>

#include "common/error.h"
#include "common/fs.h"
#include "common/json_field.h"
#include "common/jsonl.h"
#include "results/provenance.h"
#include "results/results_doc.h"

namespace bhasa::results {

namespace {

std::string Html(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string Fixed2(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

// Shortest text that reads back as the same double (what JS String(x) gives).
std::string Exact(double v) { return nlohmann::json(v).dump(); }

std::string Truncate(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return s.substr(0, cut) + " …[" + std::to_string(s.size() - cut) + " more bytes]";
}

std::string Text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && v.size() == 1 && v[0].is_string()) return v[0].get<std::string>();
  if (v.is_null()) return "";
  return DumpJson(v);
}

std::string PromptOf(const nlohmann::json& row) {
  if (row.contains("conversations") && row["conversations"].is_array()) {
    const auto& conv = row["conversations"];
    for (auto it = conv.rbegin(); it != conv.rend(); ++it)
      if (it->is_object() && it->value("role", "") == "user" && it->contains("content")) return Text((*it)["content"]);
  }
  if (row.contains("prompts")) return Text(row["prompts"]);
  return "";
}

std::string ScoreOf(const nlohmann::json& row) {
  if (!row.contains("individual_scores")) return "";
  const auto& s = row["individual_scores"];
  if (s.is_object() && s.size() == 1) {
    const auto& v = s.begin().value();
    return v.is_number() ? Exact(v.get<double>()) : DumpJson(v);
  }
  return DumpJson(s);
}

const char kCss[] = R"CSS(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:2em;color:#1d2430;background:#fbfbfd}
h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #d5d9e0;padding-bottom:.2em}
.meta{color:#5b6473;font-size:.9em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #d5d9e0;padding:.28em .6em;text-align:left;vertical-align:top}
th{background:#eef1f6}td.score{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td{font-weight:600;background:#f4f6fa}tr.group td{font-style:italic}
.chart{margin:.4em 0 1.2em}.chart text{font-size:11px;fill:#1d2430}
details{margin:.3em 0;border:1px solid #d5d9e0;border-radius:4px;background:#fff}
summary{cursor:pointer;padding:.35em .6em}details>div{padding:.2em .8em .8em}
.samples td{max-width:34em;white-space:pre-wrap;word-break:break-word}
.fail{color:#a0221a;font-weight:600}.muted{color:#7a8392}
)CSS";

const char kScript[] = R"JS(
(function () {
  var D = JSON.parse(document.getElementById('bhasa-data').textContent);
  var SVG = 'http://www.w3.org/2000/svg';
  var palette = ['#3465a4', '#cc7a00', '#4e9a06', '#a40000', '#75507b', '#06989a', '#8f5902', '#555753'];
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmt(v) { return v === null || v === undefined ? '\u2013' : v.toFixed(2); }
  function scoreCell(model, key) {
    var s = model.scores[key];
    if (!s) return el('td', {'class': 'score muted'}, '\u2013');
    var text = fmt(s.mean) + (s.stderr !== null ? ' \u00b1 ' + fmt(s.stderr) : '');
    return el('td', {'class': 'score', 'data-model': model.name, 'data-key': key,
                     'data-value': String(s.mean),
                     'data-stderr': s.stderr === null ? '' : String(s.stderr)}, text);
  }
  var langs = [];
  D.models.forEach(function (m) { m.langs.forEach(function (l) { if (langs.indexOf(l) < 0) langs.push(l); }); });

  // Leaderboard: one row per model, overall then each language.
  var t = el('table', {'id': 'leaderboard'});
  var hr = el('tr');
  hr.appendChild(el('th', {}, 'model'));
  hr.appendChild(el('th', {}, 'runs'));
  hr.appendChild(el('th', {}, 'overall'));
  langs.forEach(function (l) { hr.appendChild(el('th', {}, l)); });
  t.appendChild(hr);
  D.models.slice().sort(function (a, b) {
    return (b.scores.total ? b.scores.total.mean : 0) - (a.scores.total ? a.scores.total.mean : 0);
  }).forEach(function (m) {
    var tr = el('tr');
    tr.appendChild(el('td', {}, m.name));
    tr.appendChild(el('td', {'class': 'score'}, String(m.n_runs)));
    tr.appendChild(scoreCell(m, 'total'));
    langs.forEach(function (l) { tr.appendChild(scoreCell(m, 'lang:' + l)); });
    t.appendChild(tr);
  });
  document.getElementById('leaderboard-table').appendChild(t);

  // Horizontal bar chart of (label, key) rows, one bar per model.
  function chart(container, rows) {
    var bh = 14, gap = 10, left = 190, width = 460;
    var n = D.models.length, h = rows.length * (n * bh + gap) + 24;
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('width', left + width + 70);
    svg.setAttribute('height', h);
    svg.setAttribute('role', 'img');
    var y = 4;
    rows.forEach(function (r) {
      var label = document.createElementNS(SVG, 'text');
      label.setAttribute('x', 4); label.setAttribute('y', y + n * bh / 2 + 4);
      label.textContent = r.label;
      svg.appendChild(label);
      D.models.forEach(function (m, i) {
        var s = m.scores[r.key];
        var v = s ? s.mean : 0;
        var rect = document.createElementNS(SVG, 'rect');
        rect.setAttribute('x', left); rect.setAttribute('y', y + i * bh);
        rect.setAttribute('width', Math.max(0, Math.min(100, v)) / 100 * width);
        rect.setAttribute('height', bh - 2);
        rect.setAttribute('fill', palette[i % palette.length]);
        rect.setAttribute('data-model', m.name); rect.setAttribute('data-key', r.key);
        rect.setAttribute('data-value', s ? String(s.mean) : '');
        var title = document.createElementNS(SVG, 'title');
        title.textContent = m.name + ' ' + r.label + ': ' + (s ? fmt(s.mean) : 'n/a');
        rect.appendChild(title);
        svg.appendChild(rect);
        var val = document.createElementNS(SVG, 'text');
        val.setAttribute('x', left + Math.max(0, Math.min(100, v)) / 100 * width + 4);
        val.setAttribute('y', y + i * bh + bh - 4);
        val.textContent = s ? fmt(s.mean) : 'n/a';
        svg.appendChild(val);
      });
      y += n * bh + gap;
    });
    var legend = el('div', {'class': 'meta'});
    D.models.forEach(function (m, i) {
      var sw = el('span', {'style': 'display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;background:' +
                                    palette[i % palette.length]});
      legend.appendChild(sw);
      legend.appendChild(document.createTextNode(m.name));
    });
    var box = document.getElementById(container);
    box.appendChild(legend);
    box.appendChild(svg);
  }
  chart('chart-languages', langs.map(function (l) { return {label: l, key: 'lang:' + l}; }));
  var compRows = [];
  langs.forEach(function (l) {
    D.models.forEach(function (m) {
      (m.comps[l] || []).forEach(function (c) {
        var key = 'comp:' + l + '/' + c;
        if (!compRows.some(function (r) { return r.key === key; })) compRows.push({label: l + ' \u00b7 ' + c, key: key});
      });
    });
  });
  chart('chart-competencies', compRows);

  // Breakdown: every task, group and total of every model.
  var b = el('table', {'id': 'breakdown'});
  var bh = el('tr');
  ['language', 'competency', 'task'].forEach(function (h) { bh.appendChild(el('th', {}, h)); });
  D.models.forEach(function (m) { bh.appendChild(el('th', {}, m.name)); });
  b.appendChild(bh);
  var rows = [];
  D.models.forEach(function (m) {
    m.rows.forEach(function (r) {
      if (!rows.some(function (x) { return x.key === r.key; })) rows.push(r);
    });
  });
  rows.forEach(function (r) {
    var tr = el('tr', {'class': r.kind === 'task' ? '' : r.kind});
    tr.appendChild(el('td', {}, r.lang));
    tr.appendChild(el('td', {}, r.comp));
    tr.appendChild(el('td', {}, r.label));
    D.models.forEach(function (m) { tr.appendChild(scoreCell(m, r.key)); });
    b.appendChild(tr);
  });
  document.getElementById('breakdown-table').appendChild(b);
  document.body.setAttribute('data-rendered', 'yes');
})();
)JS";

// What each model's first run evaluated and how (results.json provenance),
// one table per model; data file hashes are summarized, not listed.
std::string ProvenanceHtml(const std::vector<ModelRuns>& models) {
  std::string html;
  for (const auto& m : models) {
    const RunInput& first = m.runs.front();
    const auto prov = ProvenanceOf(first);
    html += "<h3>" + Html(m.model) + " <span class=\"meta\">(run " + std::to_string(first.run_number) + ")</span></h3>\n";
    if (!prov.contains("data") && !prov.contains("decoding"))
      html += "<p class=\"muted\">no provenance recorded (data hashes, decoding settings) in this results.json</p>\n";
    html += "<table class=\"provenance\" data-model=\"" + Html(m.model) + "\">";
    for (const auto& [key, value] : prov.items()) {
      std::string text;
      if (key == "data" && value.is_object()) {
        long long rows = 0;
        const size_t files = value.contains("files") && value["files"].is_array() ? value["files"].size() : 0;
        const std::string where = first.path + ": meta.data";
        for (size_t i = 0; i < files; ++i)
          rows += FieldOr<long long>(value["files"][i], "rows", 0, where + ".files[" + std::to_string(i) + "]");
        text = FieldOr(value, "dir", "?", where) + " (" + std::to_string(files) + " files, " + std::to_string(rows) +
               " rows" +
               (FieldOr(value, "bundled_samples", false, where) ? "; the bundled samples, not the benchmark sets" : "") +
               ")";
      } else {
        text = Truncate(value.is_string() ? value.get<std::string>() : value.dump(), 400);
      }
      html += "<tr><th>" + Html(key) + "</th><td data-key=\"" + Html(key) + "\">" + Html(text) + "</td></tr>";
    }
    html += "</table>\n";
  }
  return html;
}

}  // namespace

bool IsExtractionFailure(const nlohmann::json& cleaned) {
  std::string s = Text(cleaned);
  size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
  s = a == std::string::npos ? "" : s.substr(a, b - a + 1);
  return s.empty() || s == "null";
}

nlohmann::json ReportScores(const ModelRuns& model) {
  std::map<std::string, std::vector<double>> values;
  for (const auto& run : model.runs) {
    for (const ScoreEntry& e : FlattenResults(run.doc)) {
      std::string key;
      if (e.level == "task") key = "task:" + e.lang + "/" + e.competency + "/" + e.name;
      else if (e.level == "group") key = "group:" + e.lang + "/" + e.competency + "/" + e.name;
      else if (e.level == "competency") key = "comp:" + e.lang + "/" + e.competency;
      else if (e.level == "language") key = "lang:" + e.lang;
      else key = "total";
      values[key].push_back(e.value);
    }
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, v] : values) {
    double sum = 0;
    for (double x : v) sum += x;
    double mean = v.size() == 1 ? v[0] : sum / static_cast<double>(v.size());
    nlohmann::json se = nullptr;
    if (v.size() >= 2) {
      double ss = 0;
      for (double x : v) ss += (x - mean) * (x - mean);
      se = std::sqrt(ss / static_cast<double>(v.size() - 1) / static_cast<double>(v.size()));
    }
    out[key] = {{"mean", mean}, {"stderr", se}, {"n", v.size()}};
  }
  return out;
}

std::string MakeReportHtml(const std::vector<ModelRuns>& models, const ReportOptions& options) {
  if (models.empty()) throw Error("report: no runs given");
  nlohmann::json data = {{"models", nlohmann::json::array()}};
  std::string drill;
  for (const auto& m : models) {
    const RunInput& first = m.runs.front();
    nlohmann::json jm = {{"name", m.model}, {"n_runs", m.runs.size()}, {"scores", ReportScores(m)},
                         {"langs", nlohmann::json::array()}, {"comps", nlohmann::json::object()},
                         {"rows", nlohmann::json::array()}};
    // Rows in the order of the first run's results tree.
    for (const ScoreEntry& e : FlattenResults(first.doc)) {
      if (e.level == "total") continue;
      if (e.level == "language") {
        jm["langs"].push_back(e.lang);
        jm["rows"].push_back({{"kind", "total"}, {"key", "lang:" + e.lang}, {"lang", e.lang}, {"comp", ""},
                              {"label", "(language total)"}});
      } else if (e.level == "competency") {
        jm["comps"][e.lang].push_back(e.competency);
        jm["rows"].push_back({{"kind", "total"}, {"key", "comp:" + e.lang + "/" + e.competency}, {"lang", e.lang},
                              {"comp", e.competency}, {"label", "(competency total)"}});
      } else {
        std::string prefix = e.level == "task" ? "task:" : "group:";
        jm["rows"].push_back({{"kind", e.level}, {"key", prefix + e.lang + "/" + e.competency + "/" + e.name},
                              {"lang", e.lang}, {"comp", e.competency},
                              {"label", e.level == "group" ? "[" + e.name + "]" : e.name}});
      }
    }
    data["models"].push_back(jm);

    // Drill-down from the first run directory's inference files.
    drill += "<h3>" + Html(m.model) + " <span class=\"meta\">(run " + std::to_string(first.run_number) + ": " +
             Html(first.path) + ")</span></h3>\n";
    const auto& tasks_meta = first.doc["tasks"];
    for (const ScoreEntry& e : FlattenResults(first.doc)) {
      if (e.level != "task") continue;
      const nlohmann::json tmeta = tasks_meta.contains(e.name) ? tasks_meta[e.name] : nlohmann::json::object();
      std::string group = tmeta.value("aggregation_group", "");
      std::string task_key = e.lang + "/" + e.competency + "/" + e.name;
      std::vector<nlohmann::json> rows;
      std::string note;
      if (first.root.empty()) {
        note = "no run directory given (results.json only): no per-row data";
      } else {
        std::string path = InferenceFile(first, e.name, e.lang, group);
        if (FileExists(path)) rows = ReadJsonlAll(path);
        else note = "inference file not found: " + path;
      }
      size_t n_failed = 0, n_extract = 0;
      for (const auto& r : rows) {
        bool failed = r.value("status", "ok") == "failed";
        n_failed += failed;
        if (!failed && r.contains("cleaned_responses") && IsExtractionFailure(r["cleaned_responses"])) ++n_extract;
      }
      drill += "<details class=\"task\" data-model=\"" + Html(m.model) + "\" data-task=\"" + Html(task_key) +
               "\" data-rows=\"" + std::to_string(rows.size()) + "\" data-failed=\"" + std::to_string(n_failed) +
               "\" data-extraction-failures=\"" + std::to_string(n_extract) + "\"><summary><b>" + Html(e.name) +
               "</b> (" + Html(e.lang) + ", " + Html(e.competency) + ") &mdash; score <span class=\"score\" data-key=\"task:" +
               Html(task_key) + "\" data-value=\"" + Exact(e.value) + "\">" + Fixed2(e.value) + "</span> &middot; " +
               std::to_string(rows.size()) + " rows &middot; " +
               (n_failed ? "<span class=\"fail\">" : "<span>") + std::to_string(n_failed) +
               " failed requests</span> &middot; " + (n_extract ? "<span class=\"fail\">" : "<span>") +
               std::to_string(n_extract) + " extraction failures</span>" +
               (e.scoring_failed ? " &middot; <span class=\"fail\">scoring failed</span>" : "") + "</summary><div>\n";
      if (!note.empty()) drill += "<p class=\"muted\">" + Html(note) + "</p>\n";
      // The task's metrics as recorded in results.json.
      const auto& tj = first.doc["results"][e.lang][e.competency][e.name];
      drill += "<table class=\"metrics\"><tr><th>metric</th><th>value</th></tr>";
      if (tmeta.contains("version")) drill += "<tr><td>version</td><td>" + Html(Text(tmeta["version"])) + "</td></tr>";
      for (const auto& [k, v] : tj.items())
        drill += "<tr><td>" + Html(k) + "</td><td" + (v.is_number() ? " class=\"score\"" : "") + ">" +
                 Html(v.is_number_float() ? Exact(v.get<double>()) : Text(v)) + "</td></tr>";
      drill += "</table>\n";
      if (!rows.empty()) {
        std::vector<const nlohmann::json*> shown;
        size_t n_fail_shown = 0, n_ok_shown = 0;
        for (const auto& r : rows) {
          bool extract_fail = r.value("status", "ok") == "failed" ||
                              (r.contains("cleaned_responses") && IsExtractionFailure(r["cleaned_responses"]));
          if (extract_fail && n_fail_shown < options.failures_per_task) shown.push_back(&r), ++n_fail_shown;
          else if (!extract_fail && n_ok_shown < options.samples_per_task) shown.push_back(&r), ++n_ok_shown;
        }
        drill += "<table class=\"samples\"><tr><th>id</th><th>prompt</th><th>response</th><th>extracted</th>"
                 "<th>label</th><th>score</th><th>status</th></tr>\n";
        for (const auto* r : shown) {
          bool failed = r->value("status", "ok") == "failed";
          bool xfail = !failed && r->contains("cleaned_responses") && IsExtractionFailure((*r)["cleaned_responses"]);
          std::string id = r->contains("id") ? Text((*r)["id"]) : "";
          drill += std::string("<tr") + (failed || xfail ? " class=\"extraction-failure\"" : "") + "><td>" + Html(id) +
                   "</td><td>" + Html(Truncate(PromptOf(*r), 1500)) + "</td><td>" +
                   Html(Truncate(r->contains("responses") ? Text((*r)["responses"]) : "", 1500)) + "</td><td" +
                   (xfail ? " class=\"fail\"" : "") + ">" +
                   Html(r->contains("cleaned_responses") ? Text((*r)["cleaned_responses"]) : "") + "</td><td>" +
                   Html(Truncate(r->contains("label") ? Text((*r)["label"]) : "", 300)) + "</td><td class=\"score\">" +
                   Html(ScoreOf(*r)) + "</td><td" + (failed ? " class=\"fail\"" : "") + ">" +
                   Html(failed ? "failed" : xfail ? "no answer extracted" : "ok") + "</td></tr>\n";
        }
        drill += "</table>\n<p class=\"muted\">showing " + std::to_string(shown.size()) + " of " +
                 std::to_string(rows.size()) + " rows (extraction failures first)</p>\n";
      }
      drill += "</div></details>\n";
    }
  }

  std::string payload = DumpJson(data);
  // Keep "</script>" (and "<!--") from ending the data block early.
  for (size_t at = payload.find("</"); at != std::string::npos; at = payload.find("</", at + 3)) payload.replace(at, 2, "<\\/");
  for (size_t at = payload.find("<!--"); at != std::string::npos; at = payload.find("<!--", at + 5))
    payload.replace(at, 4, "<\\u0021--");

  std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>" + Html(options.title) + "</title>\n<style>" + std::string(kCss) + "</style>\n</head>\n<body>\n";
  html += "<h1>" + Html(options.title) + "</h1>\n<p class=\"meta\">bhasa " BHASA_VERSION " &middot; generated " +
          std::string(when) + " &middot; " + std::to_string(models.size()) +
          " model(s). Estimator: " + Html(kReportEstimator) +
          " (&plusmn; standard error over runs when there are several). <code>bhasa export</code> shows SEA-HELM's "
          "bootstrap of the per-row scores instead, so its numbers can differ.</p>\n";
  html += "<noscript><p class=\"fail\">The leaderboard, charts and task table are drawn by JavaScript; the "
          "drill-down below works without it.</p></noscript>\n";
  html += "<h2>Leaderboard</h2>\n<div id=\"leaderboard-table\"></div>\n";
  html += "<h2>Scores by language</h2>\n<div class=\"chart\" id=\"chart-languages\"></div>\n";
  html += "<h2>Scores by competency</h2>\n<div class=\"chart\" id=\"chart-competencies\"></div>\n";
  html += "<h2>Tasks</h2>\n<div id=\"breakdown-table\"></div>\n";
  html += "<h2>Provenance</h2>\n<div id=\"provenance\">\n" + ProvenanceHtml(models) + "</div>\n";
  html += "<h2>Per-task drill-down</h2>\n<div id=\"drilldown\">\n" + drill + "</div>\n";
  html += "<script type=\"application/json\" id=\"bhasa-data\">" + payload + "</script>\n";
  html += "<script>" + std::string(kScript) + "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace bhasa::results
