#include "backends/native/cuda/cuda_weights.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/cuda_dequant.h"

namespace bhasa::native::cuda {
namespace {

// FNV-1a over the byte count and 17 eight-byte windows spread across the
// tensor: cheap enough for every call, and in practice different whenever a
// pointer is reused for another matrix (random or trained weights differ
// everywhere). Not a content hash: bytes rewritten in place are not noticed.
uint64_t Fingerprint(const TensorInfo& w) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  mix(w.bytes);
  if (w.bytes == 0 || w.data == nullptr) return h;
  constexpr size_t kSamples = 16;
  for (size_t i = 0; i <= kSamples; ++i) {
    const size_t off = (w.bytes - 1) / kSamples * i;
    uint64_t v = 0;
    std::memcpy(&v, w.data + off, std::min<size_t>(sizeof v, w.bytes - off));
    mix(v);
  }
  return h;
}

cudaDataType_t FloatDataType(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return CUDA_R_32F;
    case GgmlType::F16: return CUDA_R_16F;
    case GgmlType::BF16: return CUDA_R_16BF;
    default: return CUDA_R_8I;  // not a float type
  }
}

std::shared_ptr<const DeviceWeight> Upload(const TensorInfo& w, cudaStream_t stream) {
  const std::string what = "tensor " + w.name + " (" + TypeName(w.type) + ")";
  const bool is_float = w.type == GgmlType::F32 || w.type == GgmlType::F16 || w.type == GgmlType::BF16;
  if (!is_float && !HasDeviceDequantizer(w.type))
    throw Error("CUDA matmul: weight type " + std::string(TypeName(w.type)) + " of tensor " + w.name +
                " is not supported on the GPU");
  const int64_t rows = w.rows(), cols = w.cols();
  const size_t row_bytes = w.row_bytes(), total = row_bytes * rows;

  // The bytes in GGUF row order: the mapping itself, or a host gather when
  // the rows are permuted (HF q/k).
  const uint8_t* host = w.data;
  std::vector<uint8_t> gathered;
  if (w.permute_heads > 0) {
    gathered.resize(total);
    for (int64_t r = 0; r < rows; ++r) std::memcpy(gathered.data() + r * row_bytes, w.Row(r), row_bytes);
    host = gathered.data();
  }

  auto dw = std::make_shared<DeviceWeight>();
  dw->rows = rows;
  dw->cols = cols;
  if (is_float) {
    dw->dtype = FloatDataType(w.type);
    dw->data = DeviceAlloc(total, what);
    Check(cudaMemcpyAsync(dw->data.get(), host, total, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync", what);
  } else {
    dw->dtype = CUDA_R_16F;
    DevicePtr raw = DeviceAlloc(total, what + ", raw blocks");
    Check(cudaMemcpyAsync(raw.get(), host, total, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync", what);
    dw->data = DeviceAlloc(static_cast<size_t>(rows) * cols * sizeof(uint16_t), what + ", f16");
    DequantizeToF16(w.type, raw.get(), rows, cols, row_bytes, static_cast<uint16_t*>(dw->data.get()), stream, what);
    // `raw` must outlive the kernel: synchronize before it is freed.
    Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize", what);
  }
  Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize", what);
  return dw;
}

}  // namespace

std::shared_ptr<const DeviceWeight> WeightCache::Get(const TensorInfo& w, cudaStream_t stream) {
  const uint64_t fp = Fingerprint(w);
  Key key{w.data, w.type, w.ne, w.permute_heads};
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.fingerprint == fp) return it->second.weight;
  if (it != entries_.end()) entries_.erase(it);  // the pointer was reused for other bytes
  auto dw = Upload(w, stream);
  entries_[std::move(key)] = Entry{fp, dw};
  return dw;
}

void WeightCache::Clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

}  // namespace bhasa::native::cuda
