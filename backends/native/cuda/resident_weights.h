// ResidentWeights: every weight matrix of a model on the GPU in its own GGUF
// block format (Q4_K stays Q4_K: device memory ≈ the file's weight bytes),
// uploaded once when constructed, in one allocation. Rows are stored in GGUF
// (logical) order: a tensor with an HF q/k row permutation is gathered
// through TensorInfo::Row on the host first.
//
// Lookup is by the TensorInfo object the model holds (the model outlives the
// store); the index is built in the constructor and never changes, so Find
// takes no lock and reads no weight bytes.
//
// Ownership: owns the device memory; Find's results live as long as the
// store. Thread-safety: Find may be called from any thread. Failure: the
// constructor checks the budget (PlanGpuMemory) before allocating anything
// and throws its error when the weights do not fit; a failed allocation or
// copy throws bhasa::Error naming the tensor.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <unordered_map>

#include <cuda_runtime_api.h>

#include "backends/native/cuda/cuda_resources.h"
#include "backends/native/cuda/device_matrix.h"
#include "backends/native/gpu_memory.h"
#include "backends/native/model_file.h"

namespace bhasa::native::cuda {

class ResidentWeights {
 public:
  // Uploads the 2-D (and larger) tensors among `tensors` whose type the
  // device kernels read (DeviceMatmulSupports); `model` names them in errors.
  // Up to fraction * the device's memory, less kv_bytes for the KV cache.
  ResidentWeights(std::span<const TensorInfo> tensors, const std::string& model, double fraction, size_t kv_bytes,
                  cudaStream_t stream);

  // The device copy of w, or nullptr when w was not uploaded.
  const DeviceMatrix* Find(const TensorInfo& w) const;
  size_t bytes() const { return bytes_; }
  const GpuMemoryPlan& plan() const { return plan_; }

 private:
  GpuMemoryPlan plan_;
  DevicePtr arena_;
  size_t bytes_ = 0;
  std::unordered_map<const TensorInfo*, DeviceMatrix> index_;
};

}  // namespace bhasa::native::cuda
