// RoPE angle tables shared by the CPU kernel tables (reference and fast), so
// both compute angles exactly as ggml's rope cache does.
#pragma once

#include <cmath>
#include <vector>

#include "backends/native/kernels.h"

namespace bhasa::native {

// cs[2i], cs[2i+1] = cos, sin of pos * base^(-2i/rope_dim) / freq_factors[i],
// the angle advanced by cumulative float multiplication as in ggml.
inline void RopeCache(int32_t pos, const RopeParams& p, std::vector<float>& cs) {
  cs.resize(p.rope_dim);
  const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.rope_dim));
  float theta = static_cast<float>(pos);
  for (int64_t i = 0; i < p.rope_dim; i += 2) {
    const float ff = p.freq_factors ? p.freq_factors[i / 2] : 1.0f;
    const float th = theta / ff;
    cs[i] = std::cos(th);
    cs[i + 1] = std::sin(th);
    theta *= theta_scale;
  }
}

// Rotates the first rope_dim dims of one head in place; the rest is untouched.
// Each output rounds once after fusing one product, as ggml's CPU rope does
// when its C source is compiled with FMA contraction (x86 builds): x0 * c is
// fused for the first output of a pair and x0 * s for the second.
inline void RotateHead(float* x, const float* cs, const RopeParams& p) {
  if (p.neox) {
    const int64_t half = p.rope_dim / 2;
    for (int64_t i = 0; i < half; ++i) {
      const float c = cs[2 * i], s = cs[2 * i + 1];
      const float x0 = x[i], x1 = x[i + half];
      x[i] = std::fma(x0, c, -(x1 * s));
      x[i + half] = std::fma(x0, s, x1 * c);
    }
  } else {
    for (int64_t i = 0; i < p.rope_dim; i += 2) {
      const float c = cs[i], s = cs[i + 1];
      const float x0 = x[i], x1 = x[i + 1];
      x[i] = std::fma(x0, c, -(x1 * s));
      x[i + 1] = std::fma(x0, s, x1 * c);
    }
  }
}

}  // namespace bhasa::native
