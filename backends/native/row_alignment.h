// The address alignment rows of a ggml type need: the widest scalar a row or
// block holds (f32 values or Q8_K's f32 scale: 4; fp16 values or scales: 2).
// The kernels of ggml_types.h take rows aligned to it; ModelFile sees to it
// for tensors a file places at an odd address.
#pragma once

#include <cstddef>

#include "backends/native/ggml_types.h"

namespace bhasa::native {

inline size_t RowAlignment(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::Q8_K ? 4 : 2; }

}  // namespace bhasa::native
