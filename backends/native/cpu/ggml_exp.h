// ggml's vectorised expf, one value at a time. On x86 ggml's softmax and SiLU
// run this polynomial (a Cody-Waite reduction, then a degree-5 polynomial in
// fused multiply-adds, scaled by 2^n) instead of the C library's expf; the
// two differ in the last bit often enough to move logits of half-precision
// models, so both kernel tables use this one.
//
// Pure functions, safe from any thread. Inputs below -104 give 0 and above 89
// give infinity, as expf does; NaN stays NaN.
#pragma once

namespace bhasa::native {

float ExpLikeGgml(float x);
// x / (1 + ExpLikeGgml(-x)), ggml's SiLU.
float SiluLikeGgml(float x);

}  // namespace bhasa::native
