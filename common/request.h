// Request and Response: what tasks ask and what backends answer.
// Tasks never know which backend answers; backends never know which task asked.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bhasa {

struct Message {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

struct GenerationParams {
  int max_tokens = 256;
  std::optional<double> temperature;  // unset: the backend's / model's default
  std::optional<double> top_p;
  std::optional<int> top_k;
  std::vector<std::string> stop;
  uint64_t seed = 1234;
  bool include_stop_str_in_output = false;
  int logprobs = 0;  // number of top logprobs per generated token; 0 = none
  bool token_logprobs = false;  // log-probabilities of the generated tokens (implied by logprobs > 0)
  int prompt_logprobs = -1;     // log-probabilities of the prompt tokens, with this many alternatives; -1 = none
  bool WantsTokenLogprobs() const { return token_logprobs || logprobs > 0; }
};

// One generation. Either `messages` (chat, rendered through a chat template)
// or `prompt` (raw completion text) is used.
struct Request {
  std::string id;    // unique within a run, e.g. "sentiment/id/row-17/t1"
  std::string task;  // informational, for journals and error messages
  std::string lang;
  std::vector<Message> messages;
  std::optional<std::string> prompt;
  // When true, the last message is an assistant message to be continued
  // (SEA-HELM's base-model phase 2): no generation prompt is appended.
  bool continue_final_message = false;
  // Which backend answers: "" = the model under test, "judge" = the judge
  // backend (MT-Bench). Tasks name the role, never the backend.
  std::string role;
  GenerationParams params;
  // Set by a caller that no longer wants the answer (a client that hung up):
  // a backend may stop early and answer with finish_reason "abort". Not part
  // of the request's content (hashes, JSON).
  std::shared_ptr<const std::atomic<bool>> cancelled;
  // Set by a caller that wants a request whose prompt plus max_tokens exceeds
  // the context refused up front (an API server, as OpenAI and vLLM answer
  // 400), not cut short by the context. Not part of the request's content.
  bool refuse_beyond_context = false;

  // sha256 of the canonical JSON of everything that affects the answer
  // (messages/prompt, params, continuation flag); not the id.
  std::string ContentHash() const;
  // sha256 of the canonical JSON of the messages (or raw prompt) alone: the
  // key the replay backend matches answers produced elsewhere by.
  std::string PromptHash() const;
};

enum class ResponseStatus { kOk, kFailed, kRefused };
const char* ToString(ResponseStatus s);
ResponseStatus ResponseStatusFromString(const std::string& s);

struct Response {
  std::string request_id;
  ResponseStatus status = ResponseStatus::kOk;
  std::string text;
  std::string reasoning;       // split off by the backend, if any
  std::string finish_reason;   // "stop", "length", "eos", "error"
  std::string error;           // set when status != kOk
  int prompt_tokens = 0;
  int completion_tokens = 0;
  double seconds = 0;
  // Null unless requested. {"content": [entry per generated token],
  // "prompt": [entry per prompt token]} (each key only when asked), entry =
  // {"token", "logprob", "bytes", "top_logprobs": [{"token", "logprob",
  // "bytes"}]} as OpenAI's chat logprobs; the first prompt token's logprob is
  // null. A backend that knows token ids adds "id" (and "rank", 1 = most
  // likely, on the chosen token); "special": true marks a
  // control token whose text is not part of the prompt or answer text.
  nlohmann::json logprobs;
};

void to_json(nlohmann::json& j, const Message& m);
void from_json(const nlohmann::json& j, Message& m);
void to_json(nlohmann::json& j, const GenerationParams& p);
void from_json(const nlohmann::json& j, GenerationParams& p);
void to_json(nlohmann::json& j, const Request& r);
void from_json(const nlohmann::json& j, Request& r);
void to_json(nlohmann::json& j, const Response& r);
void from_json(const nlohmann::json& j, Response& r);

}  // namespace bhasa
