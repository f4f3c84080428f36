#include "common/request.h"

#include "common/error.h"
#include "common/json_field.h"
#include "common/sha256.h"

namespace bhasa {

const char* ToString(ResponseStatus s) {
  switch (s) {
    case ResponseStatus::kOk: return "ok";
    case ResponseStatus::kFailed: return "failed";
    case ResponseStatus::kRefused: return "refused";
  }
  return "failed";
}

ResponseStatus ResponseStatusFromString(const std::string& s) {
  if (s == "ok") return ResponseStatus::kOk;
  if (s == "failed") return ResponseStatus::kFailed;
  if (s == "refused") return ResponseStatus::kRefused;
  throw Error("unknown response status '" + s + "' (valid: ok, failed, refused)");
}

void to_json(nlohmann::json& j, const Message& m) { j = {{"role", m.role}, {"content", m.content}}; }
void from_json(const nlohmann::json& j, Message& m) {
  m.role = j.at("role").get<std::string>();
  m.content = j.at("content").get<std::string>();
}

void to_json(nlohmann::json& j, const GenerationParams& p) {
  j = {{"max_tokens", p.max_tokens}, {"seed", p.seed}};
  if (p.temperature) j["temperature"] = *p.temperature;
  if (p.top_p) j["top_p"] = *p.top_p;
  if (p.top_k) j["top_k"] = *p.top_k;
  if (!p.stop.empty()) j["stop"] = p.stop;
  if (p.include_stop_str_in_output) j["include_stop_str_in_output"] = true;
  if (p.logprobs) j["logprobs"] = p.logprobs;
  if (p.token_logprobs) j["token_logprobs"] = true;
  if (p.prompt_logprobs >= 0) j["prompt_logprobs"] = p.prompt_logprobs;
}
void from_json(const nlohmann::json& j, GenerationParams& p) {
  p = GenerationParams{};
  p.max_tokens = j.value("max_tokens", 256);
  p.seed = j.value("seed", uint64_t{1234});
  if (j.contains("temperature")) p.temperature = j["temperature"].get<double>();
  if (j.contains("top_p")) p.top_p = j["top_p"].get<double>();
  if (j.contains("top_k")) p.top_k = j["top_k"].get<int>();
  if (j.contains("stop")) p.stop = j["stop"].get<std::vector<std::string>>();
  p.include_stop_str_in_output = j.value("include_stop_str_in_output", false);
  p.logprobs = j.value("logprobs", 0);
  p.token_logprobs = j.value("token_logprobs", false);
  p.prompt_logprobs = j.value("prompt_logprobs", -1);
}

void to_json(nlohmann::json& j, const Request& r) {
  j = {{"id", r.id}, {"task", r.task}, {"lang", r.lang}, {"params", r.params}};
  if (r.prompt) j["prompt"] = *r.prompt;
  else j["messages"] = r.messages;
  if (r.continue_final_message) j["continue_final_message"] = true;
  if (!r.role.empty()) j["role"] = r.role;
}
void from_json(const nlohmann::json& j, Request& r) {
  r = Request{};
  r.id = j.at("id").get<std::string>();
  r.task = j.value("task", "");
  r.lang = j.value("lang", "");
  if (j.contains("prompt")) r.prompt = j["prompt"].get<std::string>();
  if (j.contains("messages")) r.messages = j["messages"].get<std::vector<Message>>();
  r.continue_final_message = j.value("continue_final_message", false);
  r.role = j.value("role", "");
  if (j.contains("params")) r.params = j["params"].get<GenerationParams>();
}

std::string Request::ContentHash() const {
  nlohmann::json j = {{"params", params}, {"continue", continue_final_message}};
  if (prompt) j["prompt"] = *prompt;
  else j["messages"] = messages;
  if (!role.empty()) j["role"] = role;
  return Sha256Hex(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string Request::PromptHash() const {
  nlohmann::json j = prompt ? nlohmann::json(*prompt) : nlohmann::json(messages);
  return Sha256Hex(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void to_json(nlohmann::json& j, const Response& r) {
  j = {{"request_id", r.request_id}, {"status", ToString(r.status)}, {"text", r.text},
       {"finish_reason", r.finish_reason}, {"prompt_tokens", r.prompt_tokens},
       {"completion_tokens", r.completion_tokens}, {"seconds", r.seconds}};
  if (!r.reasoning.empty()) j["reasoning"] = r.reasoning;
  if (!r.error.empty()) j["error"] = r.error;
  if (!r.logprobs.is_null()) j["logprobs"] = r.logprobs;
}
// A saved Response (journals, replay files): a wrong-typed field is a
// bhasa::Error naming it, which readers prefix with their file and line.
void from_json(const nlohmann::json& j, Response& r) {
  const std::string where = "response";
  if (!j.is_object()) throw Error(where + ": must be an object");
  r = Response{};
  r.request_id = RequireField<std::string>(j, "request_id", where);
  r.status = ResponseStatusFromString(FieldOr(j, "status", "ok", where));
  r.text = FieldOr(j, "text", "", where);
  r.reasoning = FieldOr(j, "reasoning", "", where);
  r.finish_reason = FieldOr(j, "finish_reason", "", where);
  r.error = FieldOr(j, "error", "", where);
  r.prompt_tokens = FieldOr(j, "prompt_tokens", 0, where);
  r.completion_tokens = FieldOr(j, "completion_tokens", 0, where);
  r.seconds = FieldOr(j, "seconds", 0.0, where);
  if (j.contains("logprobs")) r.logprobs = j["logprobs"];
}

}  // namespace bhasa
