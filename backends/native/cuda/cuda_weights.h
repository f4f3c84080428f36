// WeightCache: the device copies of weight matrices. A tensor is uploaded
// the first time a matmul needs it and kept until the process ends (or
// Clear): F32, F16 and BF16 stay as they are; quantized types (Q4_0, Q5_0,
// Q8_0, Q2_K..Q6_K) are uploaded raw and dequantized to F16 on the GPU.
// Rows are stored in GGUF (logical) order: a tensor with an HF q/k row
// permutation is gathered through TensorInfo::Row on the host first.
//
// Keyed by (data pointer, type, shape, permutation). Because a pointer can be
// reused after a model is unloaded, each entry also keeps a fingerprint of
// sampled bytes and is re-uploaded when it no longer matches; device memory
// of unloaded models is otherwise only returned at exit.
//
// Thread-safety: Get may be called from any thread (one mutex; an upload
// holds it). Failure: throws bhasa::Error naming the tensor for an
// unsupported type or a failed allocation, copy or launch.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include <library_types.h>

#include "backends/native/cuda/cuda_resources.h"
#include "backends/native/model_file.h"

namespace bhasa::native::cuda {

struct DeviceWeight {
  DevicePtr data;          // rows * cols elements of dtype, row-major, GGUF row order
  cudaDataType_t dtype;    // CUDA_R_32F, CUDA_R_16F or CUDA_R_16BF
  int64_t rows = 0, cols = 0;
};

class WeightCache {
 public:
  // The device copy of w, ready to use when this returns (the upload runs on
  // `stream`, which is synchronized). Shared so a re-upload cannot free a
  // copy another thread is still multiplying with.
  std::shared_ptr<const DeviceWeight> Get(const TensorInfo& w, cudaStream_t stream);
  // Frees every cached copy.
  void Clear();

 private:
  using Key = std::tuple<const uint8_t*, GgmlType, std::vector<int64_t>, int32_t>;
  struct Entry {
    uint64_t fingerprint = 0;
    std::shared_ptr<const DeviceWeight> weight;
  };

  std::mutex mu_;
  std::map<Key, Entry> entries_;
};

}  // namespace bhasa::native::cuda
