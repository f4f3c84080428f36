// Vector primitives for the fast CPU kernel table, compiled for every
// Highway target and dispatched at run time to the best one this CPU has.
// Pure functions; safe to call from any thread. n may be 0; pointers need no
// particular alignment.
#pragma once

#include <cstdint>
#include <vector>

namespace bhasa::native::simd {

float DotF32(const float* a, const float* b, int64_t n);
// a: f32 values (already rounded to f16 by the caller where ggml does so);
// b: IEEE half bits.
float DotF32F16(const float* a, const uint16_t* b, int64_t n);
// out += alpha * x
void AxpyF32(float* out, float alpha, const float* x, int64_t n);
void AxpyF16(float* out, float alpha, const uint16_t* x, int64_t n);

// x[i] = ExpLikeGgml(x[i] - max), bit for bit; returns the sum of the new
// x[i] added in index order in double (ggml's softmax denominator).
double ExpSubSum(float* x, int64_t n, float max);
// out[i] = SiluLikeGgml(gate[i]) * up[i], bit for bit; out may alias gate or up.
void Swiglu(const float* gate, const float* up, int64_t n, float* out);

// Name of the target the calls above dispatch to now ("AVX3", "AVX2", ...).
const char* TargetName();
// Every target compiled in and supported here, and a way to force one (for
// tests that run each target against the reference). ForceTarget(0) restores
// normal dispatch.
std::vector<int64_t> AvailableTargets();
void ForceTarget(int64_t target);

}  // namespace bhasa::native::simd
