// Backend "replay": answers from saved files instead of a model.
//
// Accepted inputs (options "file": comma-separated files or directories):
//  - bhasa journals (responses.jsonl): {"request_id", "hash", "response": {...}}
//  - plain answer files: {"id" or "request_id" or "prompt_hash", "response" | "text"}
//  - SEA-HELM per-row inference files <model>_<task>_<lang>.jsonl with the
//    `responses` column (one entry per turn), matched to "<task>/<lang>/<id>/t<turn>".
// A request is matched by id first, then by Request::PromptHash().
#include <charconv>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include "backends/backend.h"
#include "common/error.h"
#include "common/json_field.h"
#include "common/jsonl.h"

namespace bhasa {
namespace {

namespace fs = std::filesystem;

class ReplayBackend : public Backend {
 public:
  explicit ReplayBackend(const BackendOptions& o) {
    std::string files = o.Get("file", o.model);
    if (files.empty()) throw Error("replay backend: no answers file given (use --replay FILE)", 2);
    size_t start = 0;
    while (start <= files.size()) {
      size_t comma = files.find(',', start);
      std::string f = files.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!f.empty()) LoadPath(f);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    const std::string delay = o.Get("delay_ms", "0");
    if (auto [p, ec] = std::from_chars(delay.data(), delay.data() + delay.size(), delay_ms_);
        ec != std::errc() || p != delay.data() + delay.size() || delay_ms_ < 0)
      throw Error("replay backend: delay_ms (BHASA_REPLAY_DELAY_MS) must be a whole number of milliseconds, got '" +
                  delay + "'");
    sources_ = files;
  }

  std::string name() const override { return "replay"; }
  // Saved journal answers keep their log-probabilities.
  BackendCapabilities capabilities() const override {
    BackendCapabilities c;
    c.logprobs = true;
    return c;
  }
  nlohmann::json Describe() const override {
    return {{"backend", "replay"}, {"sources", sources_}, {"answers", by_id_.size() + by_hash_.size()}};
  }

  void Generate(std::span<const Request> requests, const OnResponse& on_response) override {
    for (const auto& r : requests) {
      if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
      const Response* hit = nullptr;
      if (auto it = by_id_.find(r.id); it != by_id_.end()) hit = &it->second;
      else if (auto h = by_hash_.find(r.PromptHash()); h != by_hash_.end()) hit = &h->second;
      Response out;
      if (hit) {
        out = *hit;
      } else {
        out.status = ResponseStatus::kFailed;
        out.finish_reason = "error";
        out.error = "replay: no saved answer for request '" + r.id + "' (prompt hash " + r.PromptHash().substr(0, 12) + ")";
      }
      out.request_id = r.id;
      on_response(std::move(out));
    }
  }

 private:
  void LoadPath(const std::string& path) {
    if (fs::is_directory(path)) {
      for (const auto& e : fs::recursive_directory_iterator(path))
        if (e.is_regular_file() && e.path().extension() == ".jsonl") LoadFile(e.path().string());
      return;
    }
    LoadFile(path);
  }

  static Response TextResponse(const std::string& text, const std::string& finish) {
    Response r;
    r.text = text;
    r.finish_reason = finish;
    return r;
  }

  void LoadFile(const std::string& path) {
    static const std::string kWhere = "answer";
    std::string stem = fs::path(path).stem().string();
    ReadJsonl(path, [&](nlohmann::json& j, long line) {
      try {
        if (j.contains("response") && j["response"].is_object()) {  // a bhasa journal
          Response r = j["response"].get<Response>();
          if (r.status != ResponseStatus::kOk) return;
          by_id_[FieldOr(j, "request_id", r.request_id, kWhere)] = r;
          return;
        }
        if (j.contains("responses") && j["responses"].is_array() && j.contains("id")) {  // SEA-HELM row file
          LoadSeaHelmRow(stem, j);
          return;
        }
        std::string text;
        if (j.contains("response") && j["response"].is_string()) text = j["response"].get<std::string>();
        else if (j.contains("text") && j["text"].is_string()) text = j["text"].get<std::string>();
        else throw Error("needs a 'response' or 'text' string, a 'responses' list, or a journal 'response' object");
        Response r = TextResponse(text, FieldOr(j, "finish_reason", "replayed", kWhere));
        bool keyed = false;
        for (const char* k : {"request_id", "id"})
          if (j.contains(k) && j[k].is_string()) { by_id_[j[k].get<std::string>()] = r; keyed = true; break; }
        if (j.contains("prompt_hash") && j["prompt_hash"].is_string()) {
          by_hash_[j["prompt_hash"].get<std::string>()] = r;
          keyed = true;
        }
        if (!keyed) throw Error("needs 'request_id', 'id' or 'prompt_hash'");
      } catch (const Error& e) {
        throw FileError(path, line, e.what());
      }
    });
  }

  // <model>_<task>_<lang>.jsonl: the model and task names may hold '_', so the
  // answers are registered under every candidate task name; only the real one
  // is ever asked for.
  void LoadSeaHelmRow(const std::string& stem, const nlohmann::json& j) {
    auto last = stem.rfind('_');
    if (last == std::string::npos) throw Error("SEA-HELM inference file name must be <model>_<task>_<lang>.jsonl");
    std::string lang = stem.substr(last + 1), head = stem.substr(0, last);
    std::string id = j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump();
    const auto& responses = j["responses"];
    for (size_t pos = head.find('_'); pos != std::string::npos; pos = head.find('_', pos + 1)) {
      std::string task = head.substr(pos + 1);
      for (size_t t = 0; t < responses.size(); ++t) {
        if (!responses[t].is_string()) continue;  // null = failed generation
        // Final text: phase 1 and 2 already joined, so no continuation is asked.
        by_id_[task + "/" + lang + "/" + id + "/t" + std::to_string(t + 1)] =
            TextResponse(responses[t].get<std::string>(), "replayed");
      }
    }
  }

  std::map<std::string, Response> by_id_;
  std::map<std::string, Response> by_hash_;
  int delay_ms_ = 0;
  std::string sources_;
};

const RegisterBackend kReplay("replay", [](const BackendOptions& o) -> std::unique_ptr<Backend> {
  return std::make_unique<ReplayBackend>(o);
});

}  // namespace
}  // namespace bhasa
