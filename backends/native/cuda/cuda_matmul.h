// The GPU matmul entry of the "cuda" table (contract: Kernels::matmul in
// kernels.h; behaviour: cuda_kernels.h). Internal to the cuda folder.
#pragma once

#include <cstdint>

#include "backends/native/model_file.h"

namespace bhasa::native::cuda {

// out[t * rows + r] = W.Row(r) · x[t]. Requires CudaDevice::Get() != nullptr.
void Matmul(const TensorInfo& w, const float* x, int64_t n_tokens, float* out);

}  // namespace bhasa::native::cuda
