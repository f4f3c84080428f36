#include "backends/native/cuda/cuda_module.h"

#include "backends/native/cuda/cuda_kernels.h"

extern "C" {

__attribute__((visibility("default"))) const bhasa::native::Kernels* bhasa_cuda_kernels(std::string* why) {
  return bhasa::native::CudaKernelsOrNull(why);
}

__attribute__((visibility("default"))) void bhasa_cuda_device_summary(std::string* out) {
  *out = bhasa::native::CudaDeviceSummary();
}

__attribute__((visibility("default"))) size_t bhasa_cuda_device_memory_bytes() {
  return bhasa::native::CudaDeviceMemoryBytes();
}

}  // extern "C"
