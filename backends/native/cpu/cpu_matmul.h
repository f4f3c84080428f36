// The CPU table's weight matmul (Kernels::matmul in kernels.h): activations
// converted once to the weight type's vec_dot type, then tiles of weight rows
// x activations (VecDotTile) spread over the current tbb::task_arena by
// blocks of rows.
#pragma once

#include <cstdint>

#include "backends/native/model_file.h"

namespace bhasa::native {

// out[t * rows + r] = w.Row(r) · x[t * cols ..], t < n_tokens, with the sums
// of VecDot (one token) or VecDotBatched (two or more), or VecDotQ4_0x8 when
// UsesInterleavedQ4_0(w.type, rows), bit for bit.
void CpuMatmul(const TensorInfo& w, const float* x, int64_t n_tokens, float* out);

}  // namespace bhasa::native
