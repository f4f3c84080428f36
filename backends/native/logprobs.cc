#include "backends/native/logprobs.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"

namespace bhasa::native {

float LogSumExp(std::span<const float> logits) {
  if (logits.empty()) throw Error("logprobs: empty logits");
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;  // a float sum loses the small terms of a large vocabulary
  for (float x : logits) sum += std::exp(static_cast<double>(x - max));
  return max + static_cast<float>(std::log(sum));
}

TokenLogprob LogprobOf(std::span<const float> logits, int32_t token, int top) {
  const float norm = LogSumExp(logits);
  if (token < 0 || static_cast<size_t>(token) >= logits.size())
    throw Error("logprobs: token id " + std::to_string(token) + " outside the vocabulary");
  TokenLogprob out;
  out.token = token;
  const float logit = logits[static_cast<size_t>(token)];
  out.logprob = logit - norm;
  out.rank = 1 + static_cast<int>(std::count_if(logits.begin(), logits.end(), [&](float x) { return x > logit; }));
  const size_t k = std::min(static_cast<size_t>(std::max(top, 0)), logits.size());
  if (k == 0) return out;
  std::vector<int32_t> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  auto better = [&](int32_t a, int32_t b) {
    const float la = logits[static_cast<size_t>(a)], lb = logits[static_cast<size_t>(b)];
    return la > lb || (la == lb && a < b);
  };
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k), ids.end(), better);
  out.top.reserve(k);
  for (size_t i = 0; i < k; ++i) out.top.emplace_back(ids[i], logits[static_cast<size_t>(ids[i])] - norm);
  return out;
}

}  // namespace bhasa::native
