// Device-side weight conversion: raw GGUF blocks already on the GPU → f16
// rows, one CUDA kernel per quantized type (element formulas in
// dequant_elem.h). Internal to the cuda folder.
//
// Thread-safety: launches are enqueued on the caller's stream and return at
// once. Failure: throws bhasa::Error for a type with no device dequantizer or
// a failed launch (the message names `what`, usually the tensor).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <cuda_runtime_api.h>

#include "backends/native/ggml_types.h"

namespace bhasa::native::cuda {

// Whether DequantizeToF16 handles this type (Q4_0, Q5_0, Q8_0, Q2_K..Q6_K).
bool HasDeviceDequantizer(GgmlType type);

// src: rows * row_bytes bytes of `type` blocks in device memory, row r at
// src + r * row_bytes; dst: rows * cols f16 values (row-major) in device memory.
void DequantizeToF16(GgmlType type, const void* src, int64_t rows, int64_t cols, size_t row_bytes, uint16_t* dst,
                     cudaStream_t stream, const std::string& what);

}  // namespace bhasa::native::cuda
