// Device-side activation conversion before a GEMM: f32 rows → the weight's
// compute type (f16 or bf16), round to nearest even as ggml's CPU conversion
// does. Internal to the cuda folder.
//
// Thread-safety: enqueued on the caller's stream, returns at once. Failure:
// throws bhasa::Error when the launch fails (the message names `what`).
#pragma once

#include <cstdint>
#include <string>

#include <cuda_runtime_api.h>

namespace bhasa::native::cuda {

// cudaSuccess when this binary holds code the current device can run (it
// was compiled for CMAKE_CUDA_ARCHITECTURES); else the runtime's error.
cudaError_t ProbeKernelImage();

// src: n floats, dst: n 16-bit values, both in device memory.
void ConvertF32ToF16(const float* src, int64_t n, uint16_t* dst, cudaStream_t stream, const std::string& what);
void ConvertF32ToBf16(const float* src, int64_t n, uint16_t* dst, cudaStream_t stream, const std::string& what);

}  // namespace bhasa::native::cuda
