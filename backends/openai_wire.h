// The OpenAI-compatible wire format: Request → JSON body for /v1/chat/completions
// or /v1/completions, and JSON reply → Response fields. Pure functions, no I/O;
// safe to call from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/request.h"

namespace bhasa::backends {

enum class OpenAiEndpoint { kChat, kCompletions };

// "/chat/completions" or "/completions" (relative to the /v1 base).
const char* EndpointPath(OpenAiEndpoint e);

// How Request::messages reach the server.
enum class MessageFormat {
  kServerTemplate,  // /chat/completions: the server applies the model's chat template
  kBaseTemplate,    // /completions: SEA-HELM's base template rendered here (base models)
};

// How a server gives the log-probabilities of prompt tokens.
enum class PromptLogprobsApi {
  kVllm,  // vLLM's `prompt_logprobs` field (chat and completions)
  kEcho,  // OpenAI's legacy completions: `echo: true` + `logprobs`, prompt tokens first
};

struct OpenAiCall {
  OpenAiEndpoint endpoint = OpenAiEndpoint::kChat;
  std::string body;  // compact JSON; invalid UTF-8 in the request is replaced by U+FFFD
  // kEcho with prompt log-probs asked: the prompt as sent, which the reply's
  // text repeats before the completion (ParseOpenAiReply strips it).
  std::optional<std::string> echoed_prompt;
};

// Builds the call for `request`: Request::prompt → completions; messages →
// chat, or with kBaseTemplate → completions with the rendered prompt (no BOS
// text: servers add BOS to a completion prompt themselves; a continued final
// message gets no trailing "\n\n"). Sends model (when not empty), max_tokens,
// seed, and always temperature, top_p and top_k, unset ones as greedy
// (0, 1, -1 = no cut), so that no server samples at its own defaults and the
// native engine, which reads unset the same way, gives the same answers.
// stop and logprobs are sent when set. include_stop_str_in_output is never
// sent (a vLLM-only field): ParseOpenAiReply re-attaches the stop string.
// A continued final message on chat adds `continue_final_message: true,
// add_generation_prompt: false` (the vLLM/SGLang convention).
// Throws bhasa::Error naming the request id when it has neither prompt nor messages.
// Prompt log-probabilities are asked the `api` way; kEcho needs the
// completions endpoint (a chat request asking for them throws bhasa::Error).
OpenAiCall BuildOpenAiCall(const Request& request, const std::string& model,
                           MessageFormat format = MessageFormat::kServerTemplate,
                           PromptLogprobsApi api = PromptLogprobsApi::kVllm);

// Reads a 2xx reply body into out->text, reasoning, finish_reason,
// prompt_tokens, completion_tokens and logprobs, and sets out->status
// (kRefused when the server returned a refusal). Returns "" on success, or
// what is wrong with the body (invalid JSON, a missing field, an error
// object); *out is then left partly filled and must be marked failed.
// With `asked` given and asked->include_stop_str_in_output set, a reply that
// finished on a stop string gets it appended to out->text unless the text
// already ends with it. The string is the one the server names (vLLM's
// stop_reason, SGLang's matched_stop; a number or null there means a stop
// token or EOS: nothing is appended); a server that names none (llama.cpp's
// server) is taken to have stopped on the only stop string asked, since it
// reports EOS and stop strings alike as "stop"; with several, nothing is appended.
// With `call` an echo call (echoed_prompt set), the prompt's share of the
// legacy logprobs (the first usage.prompt_tokens entries) becomes
// out->logprobs["prompt"], the rest stays the completion's, and the echoed
// prompt is cut from the text.
std::string ParseOpenAiReply(OpenAiEndpoint endpoint, std::string_view body, Response* out,
                             const GenerationParams* asked = nullptr, const OpenAiCall* call = nullptr);

// The human-readable part of an error body: error.message, message or
// detail when the body is such JSON, else its first 300 bytes, one line.
std::string ErrorBodySummary(std::string_view body);

}  // namespace bhasa::backends
