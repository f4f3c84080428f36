#include "backends/native/kv_cache.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

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

// One window per layer; none given means every layer is global.
std::vector<int64_t> PerLayer(std::vector<int64_t> windows, int64_t n_layer) {
  if (windows.empty()) windows.assign(static_cast<size_t>(std::max<int64_t>(n_layer, 0)), 0);
  return windows;
}

}  // namespace

KvCache::KvCache(int64_t n_layer, int64_t kv_dim, int64_t n_ctx, KvType type, std::vector<int64_t> windows)
    : n_layer_(n_layer),
      kv_dim_(kv_dim),
      n_ctx_(n_ctx),
      type_(type),
      windows_(PerLayer(std::move(windows), n_layer)),
      slots_(std::max<int64_t>(n_layer, 0), 0),
      held_from_(std::max<int64_t>(n_layer, 0), 0),
      k_(std::max<int64_t>(n_layer, 0)),
      v_(std::max<int64_t>(n_layer, 0)) {
  if (n_layer <= 0 || kv_dim <= 0 || n_ctx <= 0) throw Error("kv cache: non-positive dimension");
  if (static_cast<int64_t>(windows_.size()) != n_layer)
    throw Error("kv cache: " + std::to_string(windows_.size()) + " windows for " + std::to_string(n_layer) + " layers");
  for (int64_t w : windows_)
    if (w < 0) throw Error("kv cache: negative sliding window " + std::to_string(w));
}

bool KvCache::Fits(int64_t n_layer, int64_t kv_dim, int64_t n_ctx, KvType type,
                   const std::vector<int64_t>& windows) const {
  return n_layer == n_layer_ && kv_dim == kv_dim_ && n_ctx == n_ctx_ && type == type_ &&
         PerLayer(windows, n_layer) == windows_;
}

size_t KvCache::bytes() const {
  size_t rows = 0;
  for (int64_t s : slots_) rows += static_cast<size_t>(s);
  return 2 * rows * kv_dim_ * ElemBytes(type_);
}

void KvCache::Reserve(int64_t n) {
  if (n < 0 || size_ + n > n_ctx_)
    throw Error("context length exceeded: " + std::to_string(size_) + " + " + std::to_string(n) +
                " tokens > n_ctx " + std::to_string(n_ctx_));
  const int64_t need = size_ + n;
  if (need > capacity_) capacity_ = std::min(n_ctx_, std::max({need, kMinCapacity, 2 * capacity_}));
  widest_ = std::max(widest_, n);
  for (int64_t l = 0; l < n_layer_; ++l) {
    // A query at the first new position sees window - 1 older ones; the n
    // new positions are all written before any of them attends.
    const int64_t w = Window(l);
    const int64_t want = w > 0 ? std::min(capacity_, w - 1 + widest_) : capacity_;
    if (want != slots_[l]) Resize(l, want);
  }
}

void KvCache::Resize(int64_t layer, int64_t slots) {
  const size_t row = kv_dim_ * ElemBytes(type_);
  std::vector<uint8_t> k(slots * row), v(slots * row);
  const int64_t from = std::max(held_from_[layer], size_ - slots);
  for (int64_t p = from; p < size_; ++p) {
    const size_t src = (p % slots_[layer]) * row, dst = (p % slots) * row;
    std::memcpy(k.data() + dst, k_[layer].data() + src, row);
    std::memcpy(v.data() + dst, v_[layer].data() + src, row);
  }
  k_[layer] = std::move(k);
  v_[layer] = std::move(v);
  slots_[layer] = slots;
  held_from_[layer] = std::max<int64_t>(from, 0);
}

void KvCache::Write(int64_t layer, int64_t start, const float* k, const float* v, int64_t n, int64_t src_stride) {
  const int64_t slots = slots_[layer];
  if (start < 0 || start + n > capacity_ || n > slots) throw Error("kv cache: write outside reserved positions");
  const size_t row = kv_dim_ * ElemBytes(type_);
  for (int64_t i = 0; i < n; ++i) {
    const size_t dst = ((start + i) % slots) * row;
    Store(type_, k + i * src_stride, kv_dim_, k_[layer].data() + dst);
    Store(type_, v + i * src_stride, kv_dim_, v_[layer].data() + dst);
  }
  held_from_[layer] = std::max(held_from_[layer], start + n - slots);
}

KvLayerView KvCache::View(int64_t layer) const {
  // Rows equal to the reserved positions never wrap: address them directly.
  const int64_t ring = slots_[layer] < capacity_ ? slots_[layer] : 0;
  return KvLayerView{k_[layer].data(), v_[layer].data(), type_ == KvType::kF16, kv_dim_, ring};
}

bool KvCache::CanTruncate(int64_t n) const {
  if (n < 0 || n > size_) return false;
  if (n == 0) return true;  // nothing earlier to see
  for (int64_t l = 0; l < n_layer_; ++l) {
    const int64_t w = Window(l);
    if (held_from_[l] > (w > 0 ? std::max<int64_t>(0, n - w + 1) : 0)) return false;
  }
  return true;
}

void KvCache::Truncate(int64_t n) {
  if (n < 0 || n > size_) throw Error("kv cache: truncate to " + std::to_string(n) + " of " + std::to_string(size_));
  if (!CanTruncate(n))
    throw Error("kv cache: truncate to " + std::to_string(n) + " of " + std::to_string(size_) +
                " positions: a sliding-window layer no longer holds the positions that prefix needs");
  size_ = n;
  // Rows past n are stale: only positions before n count as held.
  for (auto& h : held_from_) h = std::min(h, n);
}

void KvCache::Clear() {
  size_ = 0;
  std::fill(held_from_.begin(), held_from_.end(), 0);
}

}  // namespace bhasa::native
