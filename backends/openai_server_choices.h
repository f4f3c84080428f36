// Several choices from one request to `bhasa serve`: `n` > 1 (n answers to
// one prompt; the engine evaluates the shared prompt once and copies its
// cache) and prompt arrays on /v1/completions (one choice per prompt, in
// order; with n, prompt-major as OpenAI and vLLM number them). Pure
// functions, no I/O.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/request.h"

namespace bhasa::backends {

// The prompts of a completions body: a string, or a non-empty array of
// strings. Throws ApiError (400, param "prompt") for anything else, token-id
// arrays included.
std::vector<std::string> PromptList(const nlohmann::json& body);

// `body` with its prompt array replaced by the first prompt, for the
// single-request parser.
nlohmann::json FirstPromptBody(const nlohmann::json& body);

// One Request per choice: for each prompt, n copies of `base` with that
// prompt. Copy k of a prompt gets seed + k, so sampled answers differ;
// greedy ones are identical, as vLLM's. Ids are base.id + "-<choice index>"
// when there is more than one.
std::vector<Request> ChoiceRequests(const Request& base, const std::vector<std::string>& prompts, int n);

// One reply body from the single-choice replies of ChoiceRequests, in order:
// their choices renumbered 0, 1, ..., usage summed (each prompt's tokens
// counted once per prompt, every choice's completion tokens).
nlohmann::json MergeReplies(const std::vector<nlohmann::json>& replies, int n);

}  // namespace bhasa::backends
