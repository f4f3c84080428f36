// f32 → f16 / bf16 activation conversion (see cuda_convert.h).
#include "backends/native/cuda/cuda_convert.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/grid_stride.cuh"

namespace bhasa::native::cuda {
namespace {

constexpr int kThreads = kGridThreads;

__global__ void F32ToF16Kernel(const float* src, int64_t n, __half* dst) {
  BHASA_GRID_STRIDE(i, n)
    dst[i] = __float2half_rn(src[i]);
}

__global__ void F32ToBf16Kernel(const float* src, int64_t n, __nv_bfloat16* dst) {
  BHASA_GRID_STRIDE(i, n)
    dst[i] = __float2bfloat16_rn(src[i]);
}

}  // namespace

cudaError_t ProbeKernelImage() {
  cudaFuncAttributes attr{};
  return cudaFuncGetAttributes(&attr, F32ToF16Kernel);
}

void ConvertF32ToF16(const float* src, int64_t n, uint16_t* dst, cudaStream_t stream, const std::string& what) {
  if (n <= 0) return;
  F32ToF16Kernel<<<GridBlocks(n), kThreads, 0, stream>>>(src, n, reinterpret_cast<__half*>(dst));
  Check(cudaGetLastError(), "f32-to-f16 conversion launch", what);
}

void ConvertF32ToBf16(const float* src, int64_t n, uint16_t* dst, cudaStream_t stream, const std::string& what) {
  if (n <= 0) return;
  F32ToBf16Kernel<<<GridBlocks(n), kThreads, 0, stream>>>(src, n, reinterpret_cast<__nv_bfloat16*>(dst));
  Check(cudaGetLastError(), "f32-to-bf16 conversion launch", what);
}

}  // namespace bhasa::native::cuda
