// f32 → f16 / bf16 activation conversion (see cuda_convert.h).
#include "backends/native/cuda/cuda_convert.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backends/native/cuda/cuda_check.h"

namespace bhasa::native::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void F32ToF16Kernel(const float* src, int64_t n, __half* dst) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    dst[i] = __float2half_rn(src[i]);
}

__global__ void F32ToBf16Kernel(const float* src, int64_t n, __nv_bfloat16* dst) {
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x)
    dst[i] = __float2bfloat16_rn(src[i]);
}

// Enough blocks to fill the GPU; the grid-stride loops cover the rest.
unsigned Blocks(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65535 ? (b > 0 ? b : 1) : 65535);
}

}  // namespace

cudaError_t ProbeKernelImage() {
  cudaFuncAttributes attr{};
  return cudaFuncGetAttributes(&attr, F32ToF16Kernel);
}

void ConvertF32ToF16(const float* src, int64_t n, uint16_t* dst, cudaStream_t stream, const std::string& what) {
  if (n <= 0) return;
  F32ToF16Kernel<<<Blocks(n), kThreads, 0, stream>>>(src, n, reinterpret_cast<__half*>(dst));
  Check(cudaGetLastError(), "f32-to-f16 conversion launch", what);
}

void ConvertF32ToBf16(const float* src, int64_t n, uint16_t* dst, cudaStream_t stream, const std::string& what) {
  if (n <= 0) return;
  F32ToBf16Kernel<<<Blocks(n), kThreads, 0, stream>>>(src, n, reinterpret_cast<__nv_bfloat16*>(dst));
  Check(cudaGetLastError(), "f32-to-bf16 conversion launch", what);
}

}  // namespace bhasa::native::cuda
