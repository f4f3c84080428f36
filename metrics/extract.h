// Response post-processing shared by SEA-HELM-style scorers (SPEC 7.0):
// turn-1 selection, optional think stripping, and the two answer extractors,
// with Python `re` semantics (Unicode `\s`, IGNORECASE, `.` excluding "\n").
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace bhasa::metrics {

struct ScoreItem;
struct ScoreOptions;

// The body of a Python `[\s...]` class spelled out for RE2: every code point
// for which str.isspace() is true (RE2's own \s is ASCII-only).
extern const char kPyWhitespaceClass[];

// v1 think stripping (SPEC 6.3): the text after the last "</think>", stripped
// with Python whitespace; text without the marker is returned unchanged.
std::string StripThinking(std::string_view text);

// The response SEA-HELM scores: turn 1 only, "" for a failed generation, and
// think-stripped when opts.options["strip_thinking"] is true.
std::string FirstTurn(const ScoreItem& item, const ScoreOptions& opts);

// `tag[\s\r\n`*]*(.*)` (case-sensitive), as in QA, translation and
// summarization. Immutable after construction; thread-safe.
class RestOfLineExtractor {
 public:
  // An empty tag matches at offset 0 (as Python's pattern would).
  explicit RestOfLineExtractor(std::string_view tag);
  ~RestOfLineExtractor();
  // group(1) of re.search, or nullopt when the tag does not occur.
  std::optional<std::string> Match(std::string_view text) const;
  // SEA-HELM's extract_response: group(1), else the whole text; then strip().
  std::string Extract(std::string_view text) const;

 private:
  std::string tag_;
  std::unique_ptr<re2::RE2> re_;
};

// `tag[\s\*]*(L1|L2|...)+` with re.IGNORECASE (SPEC 7.2). group(1) is the
// last repetition (quirk Q1). Labels are tried in the given order; tags and
// labels are escaped (equivalent for every SEA-HELM tag and label, which hold
// no metacharacters). Immutable after construction; thread-safe.
class LabelExtractor {
 public:
  // Throws bhasa::Error when `labels` is empty.
  LabelExtractor(std::string_view tag, const std::vector<std::string>& labels);
  ~LabelExtractor();
  std::optional<std::string> Match(std::string_view text) const;
  std::string Extract(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  std::unique_ptr<re2::RE2> re_;
};

}  // namespace bhasa::metrics
