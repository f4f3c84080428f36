#include "metrics/extract.h"

#include <climits>

#include <re2/re2.h>
#include <unicode/utf8.h>

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/py_ignorecase.h"
#include "metrics/scorer.h"

namespace bhasa::metrics {

// Python's str.isspace() set (U+0009-000D, U+001C-0020, U+0085, U+00A0,
// U+1680, U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000), which is
// what `\s` means in a Python str pattern.
const char kPyWhitespaceClass[] =
    "\\t\\n\\x{0b}\\x{0c}\\r\\x{1c}-\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}"
    "\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}";

namespace {

std::unique_ptr<re2::RE2> Compile(const std::string& pattern, bool case_sensitive) {
  re2::RE2::Options o;
  o.set_case_sensitive(case_sensitive);
  o.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(pattern, o);
  if (!re->ok()) throw Error("answer regex '" + pattern + "' does not compile: " + re->error());
  return re;
}

std::optional<std::string> Group1(const re2::RE2& re, std::string_view text) {
  re2::StringPiece g;
  if (!re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re, &g)) return std::nullopt;
  return std::string(g.data(), g.size());
}

}  // namespace

std::string StripThinking(std::string_view text) {
  static constexpr std::string_view kClose = "</think>";
  size_t at = text.rfind(kClose);
  if (at == std::string_view::npos) return std::string(text);
  return py::Strip(text.substr(at + kClose.size()));
}

std::string FirstTurn(const ScoreItem& item, const ScoreOptions& opts) {
  std::string r = item.responses.empty() ? std::string() : item.responses[0];
  const auto& o = opts.options;
  if (o.is_object() && o.contains("strip_thinking") && o["strip_thinking"].is_boolean() &&
      o["strip_thinking"].get<bool>())
    r = StripThinking(r);
  return r;
}

RestOfLineExtractor::RestOfLineExtractor(std::string_view tag)
    : tag_(tag),
      re_(Compile(re2::RE2::QuoteMeta(re2::StringPiece(tag.data(), tag.size())) + "[" + kPyWhitespaceClass + "`*]*(.*)", true)) {}
RestOfLineExtractor::~RestOfLineExtractor() = default;

std::optional<std::string> RestOfLineExtractor::Match(std::string_view text) const {
  // On valid UTF-8 (all text read from JSON) the pattern is a literal search
  // and two scans, done here without the regex engine: the leftmost tag, then
  // the longest run of [\s`*], then the rest of the line. Other bytes keep the
  // regex's own handling.
  if (text.size() > INT32_MAX || !py::IsValidUtf8(text) || !py::IsValidUtf8(tag_)) return Group1(*re_, text);
  const size_t at = text.find(tag_);
  if (at == std::string_view::npos) return std::nullopt;
  const auto end = static_cast<int32_t>(text.size());
  auto start = static_cast<int32_t>(at + tag_.size());
  for (int32_t next = start; next < end; start = next) {
    UChar32 c;
    U8_NEXT(text.data(), next, end, c);
    if (c != '`' && c != '*' && !py::IsSpace(static_cast<char32_t>(c))) break;
  }
  const std::string_view rest = text.substr(static_cast<size_t>(start));
  return std::string(rest.substr(0, rest.find('\n')));
}

std::string RestOfLineExtractor::Extract(std::string_view text) const {
  auto m = Match(text);
  return py::Strip(m ? std::string_view(*m) : text);
}

LabelExtractor::LabelExtractor(std::string_view tag, const std::vector<std::string>& labels) {
  if (labels.empty()) throw Error("label extractor needs at least one label");
  std::string alt;
  // IGNORECASE as Python folds it: literals expanded, matched case-sensitively.
  for (const auto& l : labels) alt += (alt.empty() ? "" : "|") + PyIgnoreCaseLiteral(l);
  pattern_ = PyIgnoreCaseLiteral(tag) + "[" + kPyWhitespaceClass + "\\*]*(" + alt + ")+";
  re_ = Compile(pattern_, true);
}
LabelExtractor::~LabelExtractor() = default;

std::optional<std::string> LabelExtractor::Match(std::string_view text) const {
  return Group1(*re_, text);
}

std::string LabelExtractor::Extract(std::string_view text) const {
  auto m = Match(text);
  return py::Strip(m ? std::string_view(*m) : text);
}

}  // namespace bhasa::metrics
