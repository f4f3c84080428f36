#include "results/journal.h"

#include <chrono>
#include <filesystem>

#include "common/error.h"
#include "common/fs.h"
#include "common/json_field.h"

namespace bhasa::results {

Journal::Journal(const std::string& path) {
  if (FileExists(path)) {
    ReadJournalLines(
        path,
        [&](nlohmann::json& j, long line) {
          try {
            const nlohmann::json* saved = FindField(j, "response");
            if (!saved) throw Error("field 'response' is missing");
            Response r = saved->get<Response>();
            std::string id = r.request_id;  // read before the move below
            entries_[id] = Entry{FieldOr(j, "hash", "", "journal entry"), std::move(r)};
          } catch (const Error& e) {
            throw FileError(path, line, std::string("malformed journal entry: ") + e.what() +
                                            std::string(kDamagedJournalNote));
          }
        },
        &torn_tail_);
    // A crash mid-write leaves a partial last line; that answer never
    // completed, so cut it off rather than let later appends bury it.
    if (torn_tail_) {
      std::string content = ReadFile(path);
      size_t keep = content.rfind('\n');
      std::filesystem::resize_file(path, keep == std::string::npos ? 0 : keep + 1);
    }
  }
  appender_ = std::make_unique<JsonlAppender>(path);
}

const Response* Journal::Find(const Request& r) const {
  auto it = entries_.find(r.id);
  if (it == entries_.end()) return nullptr;
  if (it->second.response.status != ResponseStatus::kOk) return nullptr;
  if (it->second.hash != r.ContentHash()) return nullptr;
  return &it->second.response;
}

void Journal::Record(const Request& r, const Response& resp) {
  std::string hash = r.ContentHash();
  using namespace std::chrono;
  nlohmann::json line = {{"request_id", r.id}, {"hash", hash}, {"task", r.task}, {"lang", r.lang},
                         {"time", duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()},
                         {"response", resp}};
  appender_->Append(line);
  entries_[r.id] = Entry{hash, resp};
}

}  // namespace bhasa::results
