// JSON Lines reading and durable appending.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace bhasa {

// Calls `fn(object, line_number)` for each non-blank line of `path`.
// Malformed JSON, non-object lines or invalid UTF-8 throw Error("path:line: ...").
void ReadJsonl(const std::string& path, const std::function<void(nlohmann::json&, long)>& fn);
std::vector<nlohmann::json> ReadJsonlAll(const std::string& path);

// The pieces of ReadJsonl, for callers that parse lines concurrently: the
// non-blank lines of `content` (numbered from `first_number`, without their
// line ends; `*lines`, when given, gets the count of all lines, blank ones
// too), and one line parsed with ReadJsonl's errors. `padded`: at least
// kJsonlPadding bytes after the line are readable (any values), so the parser
// reads the line where it is instead of copying it into a padded buffer.
struct JsonlLine {
  std::string_view text;
  long number = 0;
};
std::vector<JsonlLine> JsonlLines(std::string_view content, long first_number = 1, long* lines = nullptr);
inline constexpr size_t kJsonlPadding = 64;  // simdjson's SIMDJSON_PADDING
nlohmann::json ParseJsonlLine(const std::string& path, const JsonlLine& line, bool padded = false);

// Like ReadJsonl, but a final line without a newline that fails to parse (a
// write cut short by a crash) is skipped and reported through `torn_tail`
// instead of throwing. Any other bad line is refused with kDamagedJournalNote
// in the message: guessing what it held could lose or repeat an answer.
// Used for journals.
inline constexpr std::string_view kDamagedJournalNote =
    "; the journal is damaged before its last line, which a crash does not do. Move the file aside to start "
    "over, or delete that line to ask its request again";
void ReadJournalLines(const std::string& path, const std::function<void(nlohmann::json&, long)>& fn,
                      bool* torn_tail = nullptr);

// Appends one JSON object per line and flushes each line to the OS (and fsyncs
// when `durable`), so a killed process loses at most the line being written.
// Thread-safe.
class JsonlAppender {
 public:
  explicit JsonlAppender(const std::string& path, bool durable = true);
  ~JsonlAppender();
  JsonlAppender(const JsonlAppender&) = delete;
  JsonlAppender& operator=(const JsonlAppender&) = delete;
  void Append(const nlohmann::json& j);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool durable_;
  FILE* file_ = nullptr;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// JSON dump that replaces invalid UTF-8 instead of throwing.
std::string DumpJson(const nlohmann::json& j, int indent = -1);

// Appends DumpJson(j, indent) to `out` as it would read nested `depth` indents
// deep in a larger dump: every line after the first starts `depth * indent`
// spaces further right. Writes in place, with no intermediate string.
void AppendJson(std::string& out, const nlohmann::json& j, int indent, int depth);

// Appends `s` as the JSON string literal DumpJson(nlohmann::json(s)) writes,
// copying runs that need no escape instead of decoding every character.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace bhasa
