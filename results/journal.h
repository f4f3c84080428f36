// Journal: every Response appended to responses.jsonl as it arrives, keyed by
// request id and the sha256 of the request's content. A resumed run re-asks
// nothing the journal already answers.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/jsonl.h"
#include "common/request.h"

namespace bhasa::results {

class Journal {
 public:
  // Opens (creating if needed) the journal at `path` and loads what it holds.
  // A torn last line (a crash mid-write) is ignored; any other malformed line
  // is an Error naming the line.
  explicit Journal(const std::string& path);

  // The stored ok response for this request, or nullptr. A response stored for
  // the same id but a different content hash (the prompt changed) is not used.
  const Response* Find(const Request& r) const;
  // Appends and flushes one response; thread-safe.
  void Record(const Request& r, const Response& resp);

  size_t size() const { return entries_.size(); }
  bool had_torn_tail() const { return torn_tail_; }
  const std::string& path() const { return appender_->path(); }

 private:
  struct Entry {
    std::string hash;
    Response response;
  };
  std::map<std::string, Entry> entries_;  // latest entry per request id
  std::unique_ptr<JsonlAppender> appender_;
  bool torn_tail_ = false;
};

}  // namespace bhasa::results
