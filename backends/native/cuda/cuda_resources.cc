#include "backends/native/cuda/cuda_resources.h"

#include "backends/native/cuda/cuda_check.h"

namespace bhasa::native::cuda {

DevicePtr DeviceAlloc(size_t bytes, const std::string& what) {
  void* p = nullptr;
  const cudaError_t status = cudaMalloc(&p, bytes > 0 ? bytes : 1);
  // Reset the runtime's last error so a later launch check does not report this one.
  if (status != cudaSuccess) cudaGetLastError();
  Check(status, "cudaMalloc", what + ", " + std::to_string(bytes >> 20) + " MiB");
  return DevicePtr(p);
}

void* DeviceBuffer::Reserve(size_t bytes, const std::string& what) {
  if (bytes > capacity_ || !ptr_) {
    ptr_.reset();  // free first so the old and new buffers never coexist
    capacity_ = 0;
    ptr_ = DeviceAlloc(bytes, what);
    capacity_ = bytes;
  }
  return ptr_.get();
}

}  // namespace bhasa::native::cuda
