#include "backends/native/cuda/resident_weights.h"

#include <cstring>
#include <vector>

#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/cuda_gemv.h"

namespace bhasa::native::cuda {
namespace {

constexpr size_t kAlign = 256;

size_t AlignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

bool Resident(const TensorInfo& t) { return t.ne.size() >= 2 && DeviceMatmulSupports(t.type); }

}  // namespace

ResidentWeights::ResidentWeights(std::span<const TensorInfo> tensors, const std::string& model, double fraction,
                                 size_t kv_bytes, cudaStream_t stream) {
  size_t total = 0;
  for (const TensorInfo& t : tensors)
    if (Resident(t)) total += AlignUp(t.row_bytes() * static_cast<size_t>(t.rows()));
  size_t free_bytes = 0, device_bytes = 0;
  Check(cudaMemGetInfo(&free_bytes, &device_bytes), "cudaMemGetInfo", "weights of " + model);
  plan_ = PlanGpuMemory(model, device_bytes, fraction, total, kv_bytes, 1);
  arena_ = DeviceAlloc(total, "weights of " + model);

  auto* base = static_cast<uint8_t*>(arena_.get());
  std::vector<uint8_t> gathered;
  for (const TensorInfo& t : tensors) {
    if (!Resident(t)) continue;
    const size_t row_bytes = t.row_bytes(), size = row_bytes * static_cast<size_t>(t.rows());
    const uint8_t* host = t.data;
    if (t.permute_heads > 0) {
      gathered.resize(size);
      for (int64_t r = 0; r < t.rows(); ++r) std::memcpy(gathered.data() + r * row_bytes, t.Row(r), row_bytes);
      host = gathered.data();
    }
    Check(cudaMemcpyAsync(base + bytes_, host, size, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync",
          "uploading " + t.name + " of " + model);
    // The gathered copy is reused by the next permuted tensor.
    if (t.permute_heads > 0) Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize", "uploading " + t.name);
    index_.emplace(&t, DeviceMatrix{base + bytes_, t.type, t.rows(), t.cols(), row_bytes});
    bytes_ += AlignUp(size);
  }
  Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize", "weights of " + model);
}

const DeviceMatrix* ResidentWeights::Find(const TensorInfo& w) const {
  auto it = index_.find(&w);
  return it == index_.end() ? nullptr : &it->second;
}

}  // namespace bhasa::native::cuda
