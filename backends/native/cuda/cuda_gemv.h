// Matrix products with weights resident on the GPU in their GGUF block
// format (DeviceMatrix), on device pointers only. Internal to the cuda
// folder; C++17 so nvcc can compile it.
//
// Gemv (decode: up to kGemvMaxTokens activation rows) reads the blocks
// directly. Q4_0, Q8_0, Q4_K and Q6_K quantize the activations to Q8_1 and
// sum int8 products with dp4a (vec_dot_q8_1.h); every other type with a
// device decoder (F32, F16, BF16, Q5_0, Q2_K, Q3_K, Q5_K) decodes each
// weight element to float (dequant_elem.h) and multiplies f32 activations.
// GemmPrompt (any number of rows) dequantizes row tiles of the weight to f16
// in scratch memory and multiplies them on the tensor cores through cuBLAS.
//
// Thread-safety: enqueued on the caller's stream; the caller owns the scratch
// and keeps it alive until the stream has run. Failure: throws bhasa::Error
// naming `what` for an unsupported type, a column count that is not a
// multiple of the block size, or a failed launch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "backends/native/cuda/device_matrix.h"
#include "backends/native/ggml_types.h"

namespace bhasa::native::cuda {

constexpr int64_t kGemvMaxTokens = 8;

// Whether Gemv and GemmPrompt handle this weight type.
bool DeviceMatmulSupports(GgmlType type);
// Whether Gemv uses the Q8_1 + dp4a path for this type.
bool GemvUsesDp4a(GgmlType type);
// Scratch bytes Gemv needs for n_tokens activation rows of `cols`.
size_t GemvScratchBytes(GgmlType type, int64_t cols, int64_t n_tokens);

// out[t * rows + r] = W row r · x[t * cols ..] for t < n_tokens <= kGemvMaxTokens.
void Gemv(const DeviceMatrix& w, const float* x, int64_t n_tokens, float* out, void* scratch, cudaStream_t stream,
          const std::string& what);

// Scratch bytes GemmPrompt needs: the f16 activations and one weight tile.
size_t GemmScratchBytes(const DeviceMatrix& w, int64_t n_tokens);
// Same product for any n_tokens; `cublas` must be bound to `stream`.
void GemmPrompt(const DeviceMatrix& w, const float* x, int64_t n_tokens, float* out, void* scratch,
                cublasHandle_t cublas, cudaStream_t stream, const std::string& what);

}  // namespace bhasa::native::cuda
