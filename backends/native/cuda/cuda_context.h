// Per-call GPU state for the matmul and attention: a stream, a cuBLAS handle
// bound to it and scratch buffers. A ContextPool lends each caller
// its own Context for the duration of one call, so the kernel table's
// entries stay reentrant without thread_local state (which would outlive the
// CUDA runtime at exit). Internal to the cuda folder.
//
// Thread-safety: ContextPool is safe to use from any thread; a Context is
// used by one thread at a time. Failure: Acquire throws bhasa::Error when a
// stream or handle cannot be created.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "backends/native/cuda/cuda_resources.h"

namespace bhasa::native::cuda {

struct Context {
  StreamPtr stream;
  CublasPtr cublas;
  DeviceBuffer x;      // activations as uploaded (f32)
  DeviceBuffer x_cvt;  // activations in the weight's compute type (f16/bf16)
  DeviceBuffer out;    // GEMM result (f32); attention output
  DeviceBuffer att_k, att_v, att_pos;  // attention: visible keys, values, positions
};

class ContextPool {
 public:
  explicit ContextPool(int device) : device_(device) {}

  struct Returner {
    ContextPool* pool;
    void operator()(Context* c) const { pool->Return(c); }
  };
  using Lease = std::unique_ptr<Context, Returner>;

  // An idle Context, or a new one; also makes the pool's device current on
  // the calling thread. The Context goes back to the pool when the Lease ends.
  Lease Acquire();

 private:
  void Return(Context* c);

  int device_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Context>> idle_;
};

}  // namespace bhasa::native::cuda
