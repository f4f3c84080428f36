// `bhasa metric NAME --input FILE.jsonl`: scores rows produced anywhere with
// any registered scorer and prints per-row results and the task metrics.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iterator>
#include <span>

#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/fs.h"
#include "common/jsonl.h"
#include "common/mapped_file.h"
#include "common/pystr.h"
#include "harness/command.h"
#include "harness/flags.h"
#include "metrics/scorer.h"
#include "metrics/thai_segment.h"

namespace bhasa {
namespace {

// One JSONL row -> ScoreItem. Field errors name path:line and the field. The
// id, responses and gold answer move out of the row: scorers read them from
// the item, and the row only for its other fields. A row without an id is
// left unnamed (`*unnamed`), for the caller to name by its line.
metrics::ScoreItem RowToItem(const std::string& path, long line, nlohmann::json& row, bool* unnamed) {
  metrics::ScoreItem item;
  const auto id = row.find("id");
  *unnamed = id == row.end() || id->is_null();
  if (!*unnamed) item.id = id->is_string() ? std::move(id->get_ref<std::string&>()) : id->dump();

  auto take_response = [&](nlohmann::json& v, const std::string& field) {
    if (v.is_null()) {  // a failed generation (SEA-HELM's replace_error_responses)
      item.failed = true;
      item.responses.emplace_back();
    } else if (v.is_string()) {
      item.responses.push_back(std::move(v.get_ref<std::string&>()));
    } else {
      throw FileError(path, line, "field '" + field + "' must be a string or null, got " + v.type_name());
    }
  };
  if (const auto rs = row.find("responses"); rs != row.end()) {
    if (!rs->is_array()) throw FileError(path, line, "field 'responses' must be a list of strings");
    item.responses.reserve(rs->size());
    for (auto& r : *rs) take_response(r, "responses[]");
  } else if (const auto r = row.find("response"); r != row.end()) {
    take_response(*r, "response");
  } else if (row.contains("cumulative_logprob")) {  // the logprobs scorer reads no text
    item.responses.emplace_back();
  } else {
    throw FileError(path, line, "missing field 'response' (a string) or 'responses' (a list of strings)");
  }
  if (item.responses.empty()) {
    item.failed = true;
    item.responses.emplace_back();
  }
  if (row.contains("failed") && row["failed"].is_boolean() && row["failed"].get<bool>()) item.failed = true;
  if (const auto lp = row.find("cumulative_logprob"); lp != row.end() && !lp->is_null()) {
    if (!lp->is_number()) throw FileError(path, line, "field 'cumulative_logprob' must be a number or null");
    item.logprob = lp->get<double>();
  }
  for (const char* field : {"label", "reference", "answers"}) {
    if (const auto gold = row.find(field); gold != row.end()) {
      item.label = std::move(*gold);
      break;
    }
  }
  item.row = std::move(row);
  return item;
}

// The rows of one slice of the input, numbered from the slice's first line.
struct SliceRows {
  std::vector<metrics::ScoreItem> items;
  std::vector<long> lines;          // each item's line
  std::vector<size_t> unnamed;      // items without an id
  long n_lines = 0;                 // lines in the slice, blank ones too
  JsonlLine bad;                    // the first line that failed (number 0: none)
  std::exception_ptr error;
};

// Parses every row of `text`; stops at the first bad one. `readable_end` is
// where the readable bytes after the slice end, for the parser's padding.
SliceRows ReadSlice(const std::string& path, std::string_view text, const char* readable_end) {
  SliceRows out;
  for (const JsonlLine& line : JsonlLines(text, 1, &out.n_lines)) {
    try {
      const bool padded = readable_end - (line.text.data() + line.text.size()) >= static_cast<ptrdiff_t>(kJsonlPadding);
      nlohmann::json row = ParseJsonlLine(path, line, padded);
      bool unnamed = false;
      out.items.push_back(RowToItem(path, line.number, row, &unnamed));
      if (unnamed) out.unnamed.push_back(out.items.size() - 1);
      out.lines.push_back(line.number);
    } catch (...) {
      out.bad = line;
      out.error = std::current_exception();
      break;
    }
  }
  return out;
}

// The file is cut into slices at line ends, and each slice's lines are found
// and parsed by one task: finding every line first, then parsing, was a
// serial scan of the whole file (5% of a run). A slice's line numbers are
// known only once the slices before it are counted, so rows without an id are
// named, and a bad line's error raised (its first, as a line-by-line read
// would), after all are done.
// A regular file is mapped, not copied: reading 10 MB into a fresh buffer
// cost more than parsing it (zeroed pages, then the copy); each task maps its
// own slice's pages. Anything else (a pipe, /dev/stdin) is read.
std::vector<metrics::ScoreItem> ReadItems(const std::string& path) {
  std::shared_ptr<const MappedFile> map;
  std::string copy;
  std::string_view content;
  size_t readable = 0;
  if (std::error_code ec; std::filesystem::is_regular_file(path, ec)) {
    map = MappedFile::Open(path);
    content = {reinterpret_cast<const char*>(map->data()), map->size()};
    readable = map->readable_size();
  } else {
    copy = ReadFile(path);
    content = copy;
    readable = copy.size();
  }
  const char* readable_end = content.data() + readable;

  const size_t n_wanted = 8 * static_cast<size_t>(tbb::this_task_arena::max_concurrency());
  std::vector<size_t> starts = {0};
  for (size_t k = 1; k < n_wanted; ++k) {
    const size_t nl = content.find('\n', std::max(starts.back(), content.size() / n_wanted * k));
    if (nl == std::string_view::npos) break;
    if (nl + 1 < content.size()) starts.push_back(nl + 1);
  }
  starts.push_back(content.size());
  std::vector<SliceRows> slices(starts.size() - 1);
  tbb::parallel_for(size_t{0}, slices.size(), [&](size_t k) {
    if (map) map->Populate(starts[k], starts[k + 1] - starts[k]);
    slices[k] = ReadSlice(path, content.substr(starts[k], starts[k + 1] - starts[k]), readable_end);
  });

  long before = 0;  // lines in the slices before this one
  size_t total = 0;
  for (SliceRows& s : slices) {
    if (s.error) {  // raised again with its line's number in the file
      const JsonlLine bad{s.bad.text, s.bad.number + before};
      nlohmann::json row = ParseJsonlLine(path, bad);
      bool unnamed = false;
      RowToItem(path, bad.number, row, &unnamed);
      std::rethrow_exception(s.error);
    }
    for (size_t i : s.unnamed) s.items[i].id = "line " + std::to_string(s.lines[i] + before);
    before += s.n_lines;
    total += s.items.size();
  }
  std::vector<metrics::ScoreItem> items;
  items.reserve(total);
  for (SliceRows& s : slices) std::move(s.items.begin(), s.items.end(), std::back_inserter(items));
  return items;
}

std::string Shorten(std::string_view s, size_t max_cp) {
  std::u32string u = py::Decode(s);
  for (auto& c : u)
    if (c == U'\n' || c == U'\r' || c == U'\t') c = U' ';
  if (u.size() > max_cp) u = u.substr(0, max_cp - 1) + U"…";
  return py::Encode(u);
}

std::string FormatValue(const nlohmann::json& v) {
  if (v.is_number_float()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4f", v.get<double>());
    return buf;
  }
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// Appends one item of "items" as DumpJson(·, 2) prints it inside the whole:
// its keys in nlohmann's (sorted) order, each value dumped in place at its
// depth, the long texts ("cleaned", "id") on AppendJsonString's fast path.
void AppendItem(std::string& out, const metrics::ScoreItem& item, const metrics::ItemResult& r, bool first) {
  out += first ? "\n    {\n      \"cleaned\": " : ",\n    {\n      \"cleaned\": ";
  AppendJsonString(out, metrics::CleanedText(item, r));
  if (!r.details.is_null()) {
    out += ",\n      \"details\": ";
    AppendJson(out, r.details, 2, 3);
  }
  out += ",\n      \"id\": ";
  AppendJsonString(out, item.id);
  out += ",\n      \"individual_scores\": ";
  AppendJson(out, r.individual_scores, 2, 3);
  out += "\n    }";
}

// Prints `head` plus "items" (one object per row) as DumpJson(·, 2) would print
// the whole, but renders a block of rows at a time: 10,000 rows never become
// one tree, and each block leaves in one write. A few blocks are rendered at
// once, in parallel, into buffers reused for the ones after next: the output
// is never all in memory, its pages are touched once rather than per block,
// and the next few blocks render while this few are written.
// "items" sorts before every key of `head`, so it comes first.
void PrintJsonWithItems(const nlohmann::json& head, std::span<const metrics::ScoreItem> items,
                        std::span<const metrics::ItemResult> results) {
  constexpr size_t kRowsPerBlock = 256;
  const size_t n_blocks = (results.size() + kRowsPerBlock - 1) / kRowsPerBlock;
  const size_t at_once = std::min(n_blocks, 2 * static_cast<size_t>(tbb::this_task_arena::max_concurrency()));
  // Renders blocks [first, first + at_once) into `buffers`.
  auto render = [&](size_t first, std::vector<std::string>& buffers) {
    tbb::parallel_for(size_t{0}, std::min(at_once, n_blocks - first), [&](size_t k) {
      std::string& out = buffers[k];
      out.clear();
      const size_t b = first + k, end = std::min(results.size(), (b + 1) * kRowsPerBlock);
      for (size_t i = b * kRowsPerBlock; i < end; ++i) AppendItem(out, items[i], results[i], i == 0);
    });
  };
  std::vector<std::string> ready(at_once), next(at_once);
  std::fputs("{\n  \"items\": [", stdout);
  if (n_blocks > 0) render(0, ready);
  for (size_t first = 0; first < n_blocks; first += at_once) {
    tbb::task_group rendering;
    if (first + at_once < n_blocks) rendering.run([&] { render(first + at_once, next); });
    for (size_t k = 0; k < std::min(at_once, n_blocks - first); ++k)
      std::fwrite(ready[k].data(), 1, ready[k].size(), stdout);
    rendering.wait();
    std::swap(ready, next);
  }
  std::fputs(results.empty() ? "]," : "\n  ],", stdout);
  const std::string rest = DumpJson(head, 2);  // "{\n  ..." : continue after the brace
  std::fwrite(rest.data() + 1, 1, rest.size() - 1, stdout);
  std::fputc('\n', stdout);
}

// The process ends when the command returns, and the kernel takes its heap
// back at once: freeing 10,000 rows' JSON trees node by node took longer
// than printing them. So the rows and results are parked where the exit
// finds them still reachable (leak checkers stay quiet), as compilers leave
// their syntax trees.
void LeaveForExit(std::vector<metrics::ScoreItem>&& items, std::vector<metrics::ItemResult>&& results) {
  struct Parked {
    std::vector<metrics::ScoreItem> items;
    std::vector<metrics::ItemResult> results;
  };
  static auto* const parked = new std::vector<Parked>;
  parked->push_back({std::move(items), std::move(results)});
}

int MetricCommand(std::span<const std::string> args) {
  std::string name, input, lang, answer_tag, thai_dict;
  std::vector<std::string> extra;
  bool json = false, strip_thinking = false;
  Flags f("metric", "NAME --input FILE.jsonl [--lang L] [--answer-tag T] [--thai-dict F] [--json]",
          "Scores JSONL rows with the registered scorer NAME (see 'bhasa list metrics').\n"
          "Each row needs 'response' (string) or 'responses' (list; turn 1 is scored), and the gold\n"
          "answer as 'label', 'reference' or 'answers'; other fields are passed to the scorer as the row.\n"
          "A null response counts as a failed generation (scored as \"\"). docs/metrics.md lists the\n"
          "fields each scorer reads.");
  f.Positional("NAME", &name, "registered scorer name")
      .String("input", &input, "JSONL file of rows to score", "FILE")
      .String("lang", &lang, "language code (th: word segmentation; my: Burmese syllables)", "L")
      .String("answer-tag", &answer_tag, "answer tag the extractor searches for, e.g. 'Jawaban:'", "T")
      .String("thai-dict", &thai_dict, "word list (one per line) for newmm Thai segmentation", "FILE")
      .Bool("strip-think", &strip_thinking, "drop text through the last </think> before scoring")
      .List("option", &extra, "scorer option KEY=VALUE (VALUE parsed as JSON when it parses)", "K=V")
      .Bool("json", &json, "print JSON instead of tables");
  if (!f.Parse(args)) return kExitOk;
  if (input.empty()) throw Error("bhasa metric: --input FILE.jsonl is required (see 'bhasa metric --help')", kExitUsage);
  auto scorer = metrics::MakeScorer(name);

  metrics::ScoreOptions opts;
  opts.lang = lang;
  opts.answer_tag = answer_tag;
  for (const auto& kv : extra) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error("bhasa metric: --option expects KEY=VALUE, got '" + kv + "'", kExitUsage);
    std::string v = kv.substr(eq + 1);
    auto parsed = nlohmann::json::parse(v, nullptr, false);
    opts.options[kv.substr(0, eq)] = parsed.is_discarded() ? nlohmann::json(v) : parsed;
  }
  if (!thai_dict.empty()) opts.options["thai_dict"] = thai_dict;
  if (strip_thinking) opts.options["strip_thinking"] = true;

  // The Thai word list (most of a short Thai run) loads while the rows are
  // parsed; a list that fails to load fails again, with its message, when the
  // scorer asks for it.
  tbb::task_group preload;
  if (lang == "th" && !thai_dict.empty())
    preload.run([&] {
      try {
        metrics::ThaiSegmenterFor(thai_dict);
      } catch (const std::exception&) {
      }
    });
  std::vector<metrics::ScoreItem> items;
  try {
    items = ReadItems(input);
  } catch (...) {
    preload.wait();
    throw;
  }
  preload.wait();

  metrics::ScoreResult result;
  try {
    result = scorer->Score(items, opts);
  } catch (const Error& e) {
    throw Error(input + ": " + e.what(), e.exit_code());
  }
  if (result.items.size() != items.size() && !result.items.empty())
    throw Error("scorer '" + name + "' returned " + std::to_string(result.items.size()) + " results for " +
                std::to_string(items.size()) + " rows", kExitRuntime);

  if (json) {
    const nlohmann::json head = {{"metric", name},
                                 {"main_metric", scorer->info().main_metric},
                                 {"row_scale", metrics::ToString(scorer->info().row_scale)},
                                 {"n", items.size()},
                                 {"metrics", result.metrics}};
    PrintJsonWithItems(head, items, result.items);
    LeaveForExit(std::move(items), std::move(result.items));
    return kExitOk;
  }
  std::printf("%-14s %-42s %s\n", "id", "cleaned response", "scores");
  for (size_t i = 0; i < result.items.size(); ++i) {
    const auto& r = result.items[i];
    std::string scores;
    if (r.individual_scores.is_object())
      for (const auto& [k, v] : r.individual_scores.items()) scores += (scores.empty() ? "" : " ") + k + "=" + FormatValue(v);
    std::printf("%-14s %-42s %s\n", Shorten(items[i].id, 14).c_str(), Shorten(metrics::CleanedText(items[i], r), 42).c_str(),
                scores.c_str());
  }
  std::printf("\n%s over %zu rows (task score: %s, in points; per-row scores %s)\n", name.c_str(), items.size(),
              scorer->info().main_metric.c_str(), metrics::ToString(scorer->info().row_scale));
  for (const auto& [k, v] : result.metrics.items())
    std::printf("  %-26s %s%s\n", k.c_str(), FormatValue(v).c_str(), k == scorer->info().main_metric ? "  *" : "");
  LeaveForExit(std::move(items), std::move(result.items));
  return kExitOk;
}

const RegisterCommand kMetric("metric", "score a JSONL file of responses with a registered scorer", MetricCommand);

}  // namespace
}  // namespace bhasa
