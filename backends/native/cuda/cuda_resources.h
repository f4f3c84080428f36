// Owning handles for CUDA objects (device memory, streams, cuBLAS handles),
// each a unique_ptr with a deleter as ggml-cpp.h does. Internal to the cuda
// folder. Deleters ignore errors: they also run at process exit, when the
// runtime may already be shutting down.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

namespace bhasa::native::cuda {

struct DeviceFree {
  void operator()(void* p) const { cudaFree(p); }
};
struct StreamDestroy {
  void operator()(CUstream_st* s) const { cudaStreamDestroy(s); }
};
struct CublasDestroy {
  void operator()(cublasContext* h) const { cublasDestroy(h); }
};

using DevicePtr = std::unique_ptr<void, DeviceFree>;
using StreamPtr = std::unique_ptr<CUstream_st, StreamDestroy>;
using CublasPtr = std::unique_ptr<cublasContext, CublasDestroy>;

// cudaMalloc of `bytes` (at least 1); throws Error naming `what` and the size.
DevicePtr DeviceAlloc(size_t bytes, const std::string& what);

// A device scratch buffer that only grows. Not thread-safe (one owner).
class DeviceBuffer {
 public:
  // Ensures at least `bytes` of capacity (contents are not kept); returns the base.
  void* Reserve(size_t bytes, const std::string& what);

 private:
  DevicePtr ptr_;
  size_t capacity_ = 0;
};

}  // namespace bhasa::native::cuda
