// The OpenAI-compatible wire format: Request → JSON body for /v1/chat/completions
// or /v1/completions, and JSON reply → Response fields. Pure functions, no I/O;
// safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/request.h"

namespace bhasa::backends {

enum class OpenAiEndpoint { kChat, kCompletions };

// "/chat/completions" or "/completions" (relative to the /v1 base).
const char* EndpointPath(OpenAiEndpoint e);

struct OpenAiCall {
  OpenAiEndpoint endpoint = OpenAiEndpoint::kChat;
  std::string body;  // compact JSON; invalid UTF-8 in the request is replaced by U+FFFD
};

// Builds the call for `request`: Request::prompt → completions, otherwise
// Request::messages → chat. Sends model (when not empty), max_tokens, seed,
// and temperature/top_p/top_k/stop/include_stop_str_in_output/logprobs only
// when the request sets them, so the server's defaults apply otherwise.
// continue_final_message adds `continue_final_message: true,
// add_generation_prompt: false` (the vLLM/SGLang convention).
// Throws bhasa::Error naming the request id when it has neither prompt nor messages.
OpenAiCall BuildOpenAiCall(const Request& request, const std::string& model);

// Reads a 2xx reply body into out->text, reasoning, finish_reason,
// prompt_tokens, completion_tokens and logprobs, and sets out->status
// (kRefused when the server returned a refusal). Returns "" on success, or
// what is wrong with the body (invalid JSON, a missing field, an error
// object); *out is then left partly filled and must be marked failed.
std::string ParseOpenAiReply(OpenAiEndpoint endpoint, std::string_view body, Response* out);

// The human-readable part of an error body: error.message, message or
// detail when the body is such JSON, else its first 300 bytes, one line.
std::string ErrorBodySummary(std::string_view body);

}  // namespace bhasa::backends
