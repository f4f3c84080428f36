// ggml's vectorised expf, one value at a time. On x86 ggml's softmax and SiLU
// run this polynomial (a Cody-Waite reduction, then a degree-5 polynomial in
// fused multiply-adds, scaled by 2^n) instead of the C library's expf; the
// two differ in the last bit often enough to move logits of half-precision
// models, so both kernel tables use this one.
//
// Pure functions, safe from any thread. Inputs below -104 give 0 and above 89
// give infinity, as expf does; NaN stays NaN.
#pragma once

#include <cmath>

namespace bhasa::native {

float ExpLikeGgml(float x);
// x / (1 + ExpLikeGgml(-x)), ggml's SiLU.
float SiluLikeGgml(float x);
// ggml's CPU GELU (tanh approximation): 0 at or below -10, x at or above 10,
// otherwise the f16 table entry for x rounded to f16, so results carry f16
// precision exactly as ggml's do.
float GeluLikeGgml(float x);
// cap * tanh(x / cap) as ggml's scale, tanh, scale ops compute it.
inline float SoftcapOne(float x, float cap) { return std::tanh(x * (1.0f / cap)) * cap; }

}  // namespace bhasa::native
