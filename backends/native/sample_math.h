// The arithmetic of a temperature / top-k / top-p draw over candidates that
// are already sorted (descending logit, ties by lower id), written once for
// the host and the device: the CUDA sampler (cuda/cuda_paged.cu) runs it on
// rows the GPU sorted, and tests/native/sample_math_test.cc checks on any
// machine that it picks what Sampler::Sample picks for the same logits and
// seed. C++17 and free of the standard library so nvcc compiles it too.
//
// Same steps as Sampler::Sample: keep the first top_k candidates (all when
// top_k <= 0); weights exp((logit - max) / temperature) in double, summed in
// order; with top_p < 1 keep the shortest prefix whose share reaches top_p
// (at least one); then the first candidate whose running sum exceeds
// u * total, u being the uniform draw (SamplerDraw in sampler.h).
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define BHASA_HOST_DEVICE __host__ __device__
#else
#define BHASA_HOST_DEVICE
#endif

namespace bhasa::native {

struct SampleCut {
  float temperature = 0.0f;  // > 0 (greedy rows never get here)
  int top_k = 0;
  float top_p = 1.0f;
};

// Index into `sorted` (n > 0 candidates) of the pick.
BHASA_HOST_DEVICE inline int64_t PickSorted(const float* sorted, int64_t n, SampleCut cut, double u) {
  int64_t keep = cut.top_k > 0 && cut.top_k < n ? cut.top_k : n;
  const double inv_t = 1.0 / cut.temperature;
  const double max_l = sorted[0];
  double total = 0;
  for (int64_t i = 0; i < keep; ++i) total += exp((sorted[i] - max_l) * inv_t);
  if (cut.top_p < 1.0f) {
    double cum = 0;
    int64_t m = 0;
    while (m < keep) {
      cum += exp((sorted[m] - max_l) * inv_t) / total;
      ++m;
      if (cum >= cut.top_p) break;
    }
    keep = m > 1 ? m : 1;
    total = 0;
    for (int64_t i = 0; i < keep; ++i) total += exp((sorted[i] - max_l) * inv_t);
  }
  const double target = u * total;
  double acc = 0;
  for (int64_t i = 0; i < keep; ++i) {
    acc += exp((sorted[i] - max_l) * inv_t);
    if (target < acc) return i;
  }
  return keep - 1;
}

}  // namespace bhasa::native
