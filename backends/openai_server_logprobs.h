// Log-probabilities in `bhasa serve`'s replies, as OpenAI and vLLM shape them:
// chat `logprobs` / `top_logprobs` (choices[].logprobs.content), completions
// `logprobs: N` and `echo` (the legacy {tokens, token_logprobs, top_logprobs,
// text_offset}), and vLLM's `prompt_logprobs`. Pure functions, no I/O; the
// values come from Response::logprobs (common/request.h).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "backends/openai_server_wire.h"
#include "common/request.h"

namespace bhasa::backends {

// The most alternatives per token a request may ask for (vLLM's default max_logprobs).
inline constexpr int kMaxTopLogprobs = 20;

struct LogprobFields {
  bool chat = true;
  bool tokens = false;  // log-probabilities of the generated tokens
  int top = 0;          // alternatives per generated token
  bool echo = false;    // completions: the prompt comes back before the text
  int prompt = -1;      // vLLM prompt_logprobs: alternatives per prompt token; -1 = not asked
  // Streamed replies carry the text with its log-probabilities in one chunk.
  bool WholeTextInOneChunk() const { return tokens || echo; }
};

// Reads logprobs, top_logprobs, echo and prompt_logprobs from a request body
// and asks `r` for what they need. Throws ApiError (400, naming the field)
// for a value of the wrong type or range, top_logprobs without logprobs
// (chat), and prompt_logprobs with stream (as vLLM).
LogprobFields ReadLogprobFields(const nlohmann::json& body, bool chat, bool stream, Request* r);

// Adds what `f` asked for to a finished reply body (its one choice):
// choices[0].logprobs (null when not asked), the echoed prompt before
// choices[0].text, and vLLM's prompt_logprobs (on the choice for completions,
// on the body for chat). `prompt` is the request's prompt text.
void AddLogprobs(nlohmann::json& reply, const LogprobFields& f, const Response& r, const std::string& prompt);

// A streamed reply's one text chunk when WholeTextInOneChunk: the whole text
// (echo: after the prompt) with its log-probabilities.
nlohmann::json LogprobTextChunk(const StreamHeader& h, const LogprobFields& f, const Response& r,
                                const std::string& prompt);

// vLLM's prompt_logprobs: null for the first token, then per prompt token
// {"<id>": {"logprob", "rank", "decoded_token"}} for the token and its
// alternatives. Null when not asked.
nlohmann::json PromptLogprobs(const LogprobFields& f, const Response& r);

}  // namespace bhasa::backends
