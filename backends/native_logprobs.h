// The engine's log-probabilities as Response::logprobs (common/request.h):
// token text, bytes and id for each entry, from the model's vocabulary.
#pragma once

#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "backends/native/engine.h"
#include "backends/native/vocab.h"

namespace bhasa::native {

// {"content": [...]} for the sampled tokens when `sampled`, {"prompt": [...]}
// for every prompt token when `prompt` (the first with a null logprob: it has
// no context); null when neither.
nlohmann::json LogprobsJson(const Vocab& vocab, std::span<const int32_t> prompt, const GenerationResult& result,
                            bool sampled, bool prompt_logprobs);

}  // namespace bhasa::native
