// Log-probabilities from a row of logits: the chosen token's and the top-k
// alternatives', for OpenAI's `logprobs` / `top_logprobs` and vLLM's
// `prompt_logprobs`. Computed in F32 from the raw logits (before temperature
// or top-p), as log_softmax with a max-subtracted normalizer summed in double.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace bhasa::native {

struct TokenLogprob {
  int32_t token = -1;
  float logprob = 0;
  int rank = 1;  // 1 + the number of tokens more likely than this one
  // The `top` most likely tokens, most likely first (ties: lowest id first).
  std::vector<std::pair<int32_t, float>> top;
};

// The normalizer of log_softmax: max + log(sum(exp(logit - max))).
float LogSumExp(std::span<const float> logits);

// log_softmax(logits)[token] and the `top` best alternatives. Throws Error
// for an empty row or a token outside it.
TokenLogprob LogprobOf(std::span<const float> logits, int32_t token, int top);

}  // namespace bhasa::native
