#include "backends/openai_server_wire.h"

#include "common/jsonl.h"

namespace bhasa::backends {

using nlohmann::json;

ApiError::ApiError(int status, const std::string& message, std::string param, std::string code, std::string type)
    : Error(message), status_(status), param_(std::move(param)), code_(std::move(code)), type_(std::move(type)) {}

json ApiError::Body() const {
  return {{"error",
           {{"message", what()},
            {"type", type_},
            {"param", param_.empty() ? json(nullptr) : json(param_)},
            {"code", code_.empty() ? json(nullptr) : json(code_)}}}};
}

namespace {

// The field's value when present and not null, else nullptr.
const json* Field(const json& body, const char* key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

const json* NumberField(const json& body, const char* key) {
  const json* v = Field(body, key);
  if (v && !v->is_number()) throw ApiError(400, std::string("'") + key + "' must be a number", key, "invalid_type");
  return v;
}

const json* IntegerField(const json& body, const char* key) {
  const json* v = Field(body, key);
  if (v && !v->is_number_integer())
    throw ApiError(400, std::string("'") + key + "' must be an integer", key, "invalid_type");
  return v;
}

void CheckMaxTokens(const json& body, const char* key, int max_context) {
  const json* v = IntegerField(body, key);
  if (!v) return;
  const int64_t n = v->get<int64_t>();
  if (n < 1) throw ApiError(400, std::string("'") + key + "' must be at least 1, got " + std::to_string(n), key);
  if (max_context > 0 && n > max_context)
    throw ApiError(400,
                   std::string("'") + key + "' is " + std::to_string(n) + ", beyond the model's context of " +
                       std::to_string(max_context) + " tokens",
                   key, "context_length_exceeded");
}

}  // namespace

void CheckSamplingFields(const json& body, int max_context) {
  if (const json* t = NumberField(body, "temperature"); t && !(t->get<double>() >= 0))
    throw ApiError(400, "'temperature' must be at least 0, got " + t->dump(), "temperature");
  if (const json* p = NumberField(body, "top_p"); p && !(p->get<double>() > 0 && p->get<double>() <= 1))
    throw ApiError(400, "'top_p' must be greater than 0 and at most 1, got " + p->dump(), "top_p");
  if (const json* k = IntegerField(body, "top_k"); k && k->get<int64_t>() < -1)
    throw ApiError(400, "'top_k' must be -1 (no cut), 0 or positive, got " + k->dump(), "top_k");
  CheckMaxTokens(body, "max_tokens", max_context);
  CheckMaxTokens(body, "max_completion_tokens", max_context);
  if (const json* n = IntegerField(body, "n"); n && (n->get<int64_t>() < 1 || n->get<int64_t>() > kMaxChoices))
    throw ApiError(400, "'n' must be between 1 and " + std::to_string(kMaxChoices) + ", got " + n->dump(), "n");
  IntegerField(body, "seed");
  if (const json* s = Field(body, "stream"); s && !s->is_boolean())
    throw ApiError(400, "'stream' must be a boolean", "stream", "invalid_type");
  if (const json* o = Field(body, "stream_options")) {
    if (!o->is_object()) throw ApiError(400, "'stream_options' must be an object", "stream_options", "invalid_type");
    if (body.value("stream", json(false)) != true)
      throw ApiError(400, "'stream_options' is only allowed with 'stream': true", "stream_options");
    if (const json* u = Field(*o, "include_usage"); u && !u->is_boolean())
      throw ApiError(400, "'stream_options.include_usage' must be a boolean", "stream_options.include_usage",
                     "invalid_type");
  }
}

namespace {

json Chunk(const StreamHeader& h, json choices) {
  json c = {{"id", h.id},
            {"object", h.chat ? "chat.completion.chunk" : "text_completion"},
            {"created", h.created},
            {"model", h.model},
            {"choices", std::move(choices)}};
  if (h.include_usage) c["usage"] = nullptr;
  return c;
}

json Choice(const StreamHeader& h, json delta, std::string_view text, const json& finish_reason) {
  json choice = {{"index", 0}};
  if (h.chat) choice["delta"] = std::move(delta);
  else choice["text"] = text;
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish_reason;
  return choice;
}

}  // namespace

json RoleChunk(const StreamHeader& h) {
  return Chunk(h, json::array({Choice(h, {{"role", "assistant"}, {"content", ""}}, "", nullptr)}));
}

json TextChunk(const StreamHeader& h, std::string_view text) {
  return Chunk(h, json::array({Choice(h, {{"content", text}}, text, nullptr)}));
}

json FinishChunk(const StreamHeader& h, const std::string& finish_reason) {
  return Chunk(h, json::array({Choice(h, json::object(), "", finish_reason)}));
}

json UsageChunk(const StreamHeader& h, int prompt_tokens, int completion_tokens) {
  json c = Chunk(h, json::array());
  c["usage"] = {{"prompt_tokens", prompt_tokens},
                {"completion_tokens", completion_tokens},
                {"total_tokens", prompt_tokens + completion_tokens}};
  return c;
}

std::string SseEvent(const json& data) { return "data: " + DumpJson(data) + "\n\n"; }

}  // namespace bhasa::backends
