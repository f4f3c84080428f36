#include "backends/native/cuda/cuda_module.h"

#include "backends/native/cuda/cuda_forward.h"
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

__attribute__((visibility("default"))) bhasa::native::DeviceForward* bhasa_cuda_create_forward(
    const bhasa::native::Model* model, const bhasa::native::DeviceForwardOptions* options) {
  return bhasa::native::cuda::MakeCudaForward(*model, *options).release();
}

}  // extern "C"
