// Attention's f32 sums in ggml's order, fixed on every machine to the order of
// ggml's AVX-512 build (the one the llama.cpp fixtures come from), so results
// never depend on the vector width chosen at run time:
//  - a score q · k, and the decode weighted sum of V, are ggml_vec_dot_f32:
//    four 16-lane fused-multiply-add accumulators, accumulator c taking
//    elements 64 * i + 16 * c + lane; then (0 + 2) + (1 + 3); then the
//    lanes reduced as _mm512_reduce_add_ps does (ReduceLanes16); elements
//    past the last full 64 fused in one by one;
//  - with an f16 cache (q and the probabilities rounded to f16 first, as
//    ggml converts them): several query rows go through ggml's tiled GEMM,
//    element i feeding lane i % 16, then ReduceLanes16; one query row is
//    ggml_vec_dot_f16, the order above with the lanes' sum and the elements
//    past the last full 64 added in double;
//  - the softmax sums exponentials in blocks of 16 cache positions counted
//    from position 0: each block reduced in f32 (ReduceLanes16), the blocks
//    added in double (ggml_vec_soft_max_f32).
// llama.cpp pads the cache length it attends over to a multiple of 32
// (kKvPad); masked positions contribute exact zeros, so only that padded
// length's split into full 64s and the rest is visible in the result.
//
// Pure; safe from any thread.
#pragma once

#include <cstdint>

#include "backends/native/kernels.h"  // KvRow

namespace bhasa::native {

inline constexpr int64_t kKvPad = 32;

// The attention length llama.cpp uses for a cache of n positions.
inline int64_t PaddedKvLength(int64_t n) { return (n + kKvPad - 1) / kKvPad * kKvPad; }

float AttentionScore(const float* q, const float* k, int64_t n);

// In place on s[first, n): s = exp(s - max) / sum, the sum blocked as above
// (positions before `first` are masked out and left untouched).
void AttentionSoftmax(float* s, int64_t first, int64_t n);

// o[d] = sum over j in [first, n) of p[j] * v[KvRow(j, slots) * stride + d],
// d < dim, each o[d] summed as ggml_vec_dot_f32 over the padded length
// PaddedKvLength(n) (positions outside [first, n) weigh 0): the order
// follows the position j, whichever row of a ring holds it. Vectorised
// across d.
void DotOrderWeightedSum(const float* p, const float* v, int64_t stride, int64_t slots, int64_t first, int64_t n,
                         int64_t dim, float* o);

// With an f16 cache: q · k (q already rounded to f16) and the weighted sum
// of V (p already rounded to f16), for several query rows (`tiled`) or one.
float AttentionScoreF16(const float* q, const uint16_t* k, int64_t n, bool tiled);
void WeightedSumF16(const float* p, const uint16_t* v, int64_t stride, int64_t slots, int64_t first, int64_t n,
                    int64_t dim, bool tiled, float* o);

}  // namespace bhasa::native
