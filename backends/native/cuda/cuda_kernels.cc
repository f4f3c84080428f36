// The "cuda" table: GPU matmul and prompt attention, CpuKernels()'s other entries.
#include "backends/native/cuda/cuda_kernels.h"

#include <cuda_runtime_api.h>

#include "backends/native/cuda/cuda_attention.h"
#include "backends/native/cuda/cuda_device.h"
#include "backends/native/cuda/cuda_matmul.h"

namespace bhasa::native {

const Kernels* CudaKernelsOrNull(std::string* why) {
  if (!cuda::CudaDevice::Get(why)) return nullptr;
  static const Kernels table = [] {
    Kernels k = CpuKernels();
    k.name = "cuda";
    k.matmul = cuda::Matmul;
    k.attention = cuda::Attention;
    return k;
  }();
  return &table;
}

std::string CudaDeviceSummary() {
  std::string why;
  const cuda::CudaDevice* device = cuda::CudaDevice::Get(&why);
  return device ? device->summary() : why;
}

size_t CudaDeviceMemoryBytes() {
  if (!cuda::CudaDevice::Get()) return 0;
  size_t free_bytes = 0, total_bytes = 0;
  return cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess ? total_bytes : 0;
}

}  // namespace bhasa::native
