// The kernels the device-resident forward pass (cuda_forward.h) needs
// besides cuda_ops.h: writing K and V rows into a paged f16 cache, gathering
// rows, adding a bias to every row, and sampling each logits row on the
// device (greedy, or temperature / top-k / top-p with the host's draw, the
// arithmetic of sample_math.h). Internal to the cuda folder; C++17 so nvcc
// can compile it.
//
// Thread-safety: enqueued on the caller's stream; the caller keeps the
// scratch alive until the stream has run. Failure: throws bhasa::Error naming
// `what` when a launch fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <cuda_runtime_api.h>

#include "backends/native/sample_math.h"

namespace bhasa::native::cuda {

// Row i of k and v (kv_dim floats each) into f16 cache row slots[i] of k_cache and v_cache.
void StoreKv(const float* k, const float* v, const int32_t* slots, int64_t n, int64_t kv_dim, void* k_cache,
             void* v_cache, cudaStream_t stream, const std::string& what);

// dst row i = src row rows[i], width floats; dst must not overlap src.
void GatherRows(const float* src, const int32_t* rows, int64_t n, int64_t width, float* dst, cudaStream_t stream,
                const std::string& what);

// Every one of n_rows rows of x (width floats) += vec.
void AddRowVector(float* x, const float* vec, int64_t n_rows, int64_t width, cudaStream_t stream,
                  const std::string& what);

// One row's sampling: cut.temperature <= 0 is greedy (native::Argmax's rule).
struct RowSample {
  SampleCut cut;
  double u = 0;
};

// Scratch SampleRows needs for n_rows rows of n_vocab when some row is not greedy.
size_t SampleScratchBytes(int64_t n_rows, int64_t n_vocab);

// ids[r] = the pick of row r (all on the device; samples has n_rows entries).
// With stochastic false every row is greedy and no scratch is touched;
// otherwise the rows are sorted (descending, ties by lower id; NaN ranks as
// -inf and is left out) and PickSorted chooses.
void SampleRows(const float* logits, int64_t n_rows, int64_t n_vocab, const RowSample* samples, bool stochastic,
                int32_t* ids, void* scratch, cudaStream_t stream, const std::string& what);

}  // namespace bhasa::native::cuda
