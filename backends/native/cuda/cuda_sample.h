// Greedy sampling on the GPU: the argmax of each logits row, so a decode step
// returns token ids instead of n_vocab floats. Same rule as native::Argmax
// (sampler.h): ties go to the lowest id, NaN never wins, -1 when no value is a
// number. Internal to the cuda folder; C++17 so nvcc can compile it.
//
// Thread-safety: enqueued on the caller's stream. Failure: throws
// bhasa::Error naming `what` when the launch fails.
#pragma once

#include <cstdint>
#include <string>

#include <cuda_runtime_api.h>

namespace bhasa::native::cuda {

// ids[r] = argmax of logits[r * n_vocab .. (r + 1) * n_vocab), all on the device.
void ArgmaxRows(const float* logits, int64_t n_rows, int64_t n_vocab, int32_t* ids, cudaStream_t stream,
                const std::string& what);

}  // namespace bhasa::native::cuda
