// The "cuda" table's attention: a prompt chunk (many query rows) runs on the
// GPU, where its cost grows with rows x positions; single-row decode steps
// and contexts too long for one block's shared memory stay on the CPU, where
// copying the whole visible cache to the GPU would cost more than it saves.
// The visible keys and values are copied to the GPU on every call.
//
// Thread-safety: reentrant (each call borrows its own stream and buffers).
// Failure: throws bhasa::Error naming the CUDA call.
#pragma once

#include "backends/native/kernels.h"

namespace bhasa::native::cuda {

// Query rows per call from which the GPU is used.
constexpr int64_t kGpuAttentionMinRows = 16;

void Attention(const AttentionArgs& a);

}  // namespace bhasa::native::cuda
