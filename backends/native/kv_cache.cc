#include "backends/native/kv_cache.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "common/error.h"

namespace bhasa::native {
namespace {

constexpr int64_t kMinCapacity = 256;

size_t ElemBytes(KvType t) { return t == KvType::kF16 ? 2 : 4; }

void Store(KvType type, const float* src, int64_t n, uint8_t* dst) {
  if (type == KvType::kF32) {
    std::memcpy(dst, src, n * sizeof(float));
  } else {
    auto* d = reinterpret_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) d[i] = Fp32ToFp16(src[i]);
  }
}

}  // namespace

KvCache::KvCache(int64_t n_layer, int64_t kv_dim, int64_t n_ctx, KvType type)
    : n_layer_(n_layer), kv_dim_(kv_dim), n_ctx_(n_ctx), type_(type), k_(n_layer), v_(n_layer) {
  if (n_layer <= 0 || kv_dim <= 0 || n_ctx <= 0) throw Error("kv cache: non-positive dimension");
}

size_t KvCache::bytes() const { return 2 * n_layer_ * capacity_ * kv_dim_ * ElemBytes(type_); }

void KvCache::Reserve(int64_t n) {
  if (n < 0 || size_ + n > n_ctx_)
    throw Error("context length exceeded: " + std::to_string(size_) + " + " + std::to_string(n) +
                " tokens > n_ctx " + std::to_string(n_ctx_));
  const int64_t need = size_ + n;
  if (need <= capacity_) return;
  const int64_t cap = std::min(n_ctx_, std::max({need, kMinCapacity, 2 * capacity_}));
  const size_t row = kv_dim_ * ElemBytes(type_);
  for (int64_t l = 0; l < n_layer_; ++l) {
    k_[l].resize(cap * row);
    v_[l].resize(cap * row);
  }
  capacity_ = cap;
}

void KvCache::Write(int64_t layer, int64_t start, const float* k, const float* v, int64_t n, int64_t src_stride) {
  if (start < 0 || start + n > capacity_) throw Error("kv cache: write outside reserved positions");
  const size_t row = kv_dim_ * ElemBytes(type_);
  for (int64_t i = 0; i < n; ++i) {
    Store(type_, k + i * src_stride, kv_dim_, k_[layer].data() + (start + i) * row);
    Store(type_, v + i * src_stride, kv_dim_, v_[layer].data() + (start + i) * row);
  }
}

KvLayerView KvCache::View(int64_t layer) const {
  return KvLayerView{k_[layer].data(), v_[layer].data(), type_ == KvType::kF16, kv_dim_};
}

void KvCache::Truncate(int64_t n) {
  if (n < 0 || n > size_) throw Error("kv cache: truncate to " + std::to_string(n) + " of " + std::to_string(size_));
  size_ = n;
}

}  // namespace bhasa::native
