// CudaDevice: the one GPU the "cuda" kernel table runs on (device 0 of
// what CUDA_VISIBLE_DEVICES shows), probed once per process. It owns the
// weight cache and the pool of matmul contexts; both are freed when the
// process exits. Internal to the cuda folder; cuda_kernels.h is the API.
//
// Thread-safety: Get and the accessors may be called from any thread.
// Failure: Get returns nullptr (with the reason) instead of throwing.
#pragma once

#include <string>

#include "backends/native/cuda/cuda_context.h"
#include "backends/native/cuda/cuda_weights.h"

namespace bhasa::native::cuda {

class CudaDevice {
 public:
  // The device, or nullptr when none is usable; then *why (if given) says
  // why, e.g. "no CUDA device: no CUDA-capable device is detected".
  static CudaDevice* Get(std::string* why = nullptr);

  // "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB, driver 13.0, runtime 13.0)".
  const std::string& summary() const { return summary_; }
  WeightCache& weights() { return weights_; }
  ContextPool& contexts() { return contexts_; }

  CudaDevice(int ordinal, std::string summary) : summary_(std::move(summary)), contexts_(ordinal) {}

 private:
  std::string summary_;
  // Members are destroyed in reverse order: the weights, then the contexts
  // (both before the runtime tears itself down, see cuda_device.cc).
  ContextPool contexts_;
  WeightCache weights_;
};

}  // namespace bhasa::native::cuda
