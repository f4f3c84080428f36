// DeviceMatrix: a weight matrix resident on the GPU in its GGUF block format.
// Internal to the cuda folder; C++17 so nvcc can compile it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backends/native/ggml_types.h"

namespace bhasa::native::cuda {

struct DeviceMatrix {
  const void* data = nullptr;  // rows * row_bytes bytes on the device, GGUF row order
  GgmlType type = GgmlType::F32;
  int64_t rows = 0, cols = 0;
  size_t row_bytes = 0;
};

}  // namespace bhasa::native::cuda
