// The server's side of the OpenAI wire format, as `bhasa serve` writes it:
// error bodies in OpenAI's shape, range checks on sampling fields, and the
// chunks of a streamed (server-sent events) reply. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace bhasa::backends {

// A request the API refuses: HTTP status plus OpenAI's error fields.
// Body() is {"error": {"message", "type", "param", "code"}}, param null when "".
class ApiError : public Error {
 public:
  ApiError(int status, const std::string& message, std::string param = "", std::string code = "invalid_value",
           std::string type = "invalid_request_error");
  int status() const { return status_; }
  const std::string& param() const { return param_; }
  nlohmann::json Body() const;

 private:
  int status_;
  std::string param_, code_, type_;
};

// Checks the types and ranges of the sampling fields of a completion request
// body (an object), as OpenAI does: temperature at least 0, top_p in (0, 1],
// max_tokens / max_completion_tokens at least 1 and at most `max_context`
// (when known, > 0), n in [1, kMaxChoices], stream a boolean, stream_options an object and
// only with stream: true.
// Throws ApiError (400, naming the field). Unknown fields are not looked at.
inline constexpr int kMaxChoices = 128;  // OpenAI's limit on n
void CheckSamplingFields(const nlohmann::json& body, int max_context);

// What every chunk of one streamed reply repeats.
struct StreamHeader {
  bool chat = true;              // chat.completion.chunk, else text_completion
  std::string id;
  int64_t created = 0;
  std::string model;
  bool include_usage = false;    // stream_options.include_usage: "usage": null on each chunk
};

// Chat only: the first chunk, delta {"role": "assistant", "content": ""}.
nlohmann::json RoleChunk(const StreamHeader& h);
// A piece of generated text: delta.content (chat) or text (completions).
nlohmann::json TextChunk(const StreamHeader& h, std::string_view text);
// The last choice chunk: an empty delta/text and the finish reason.
nlohmann::json FinishChunk(const StreamHeader& h, const std::string& finish_reason);
// After the finish chunk when include_usage is set: empty choices and usage.
nlohmann::json UsageChunk(const StreamHeader& h, int prompt_tokens, int completion_tokens);

// One server-sent event: "data: <compact JSON>\n\n" (invalid UTF-8 as U+FFFD).
std::string SseEvent(const nlohmann::json& data);
// The event that ends every stream.
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

}  // namespace bhasa::backends
