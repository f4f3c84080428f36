// One attention score, q · k over a head, summed in one fixed order on every
// machine: 16 lanes, two fused multiply-add accumulators over alternate
// 16-element chunks, added, then the lanes reduced as _mm512_reduce_add_ps
// does (and the elements past the last full 32 added one by one). This is the
// order in which Gemma 2's 2-token prompt reproduces llama.cpp's logits bit
// for bit (forward_fixture_test); the order of a vector width chosen at run
// time would make results depend on the machine.
//
// Pure; safe from any thread.
#pragma once

#include <cstdint>

namespace bhasa::native {

float AttentionScore(const float* q, const float* k, int64_t n);

}  // namespace bhasa::native
