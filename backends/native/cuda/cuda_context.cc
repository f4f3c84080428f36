#include "backends/native/cuda/cuda_context.h"

#include "backends/native/cuda/cuda_check.h"

namespace bhasa::native::cuda {

ContextPool::Lease ContextPool::Acquire() {
  Check(cudaSetDevice(device_), "cudaSetDevice", "device " + std::to_string(device_));
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      Context* c = idle_.back().release();
      idle_.pop_back();
      return Lease(c, Returner{this});
    }
  }
  auto c = std::make_unique<Context>();
  cudaStream_t stream = nullptr;
  Check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags", "matmul context");
  c->stream.reset(stream);
  cublasHandle_t handle = nullptr;
  Check(cublasCreate(&handle), "cublasCreate", "matmul context");
  c->cublas.reset(handle);
  Check(cublasSetStream(handle, stream), "cublasSetStream", "matmul context");
  return Lease(c.release(), Returner{this});
}

void ContextPool::Return(Context* c) {
  std::lock_guard lock(mu_);
  idle_.emplace_back(c);
}

}  // namespace bhasa::native::cuda
