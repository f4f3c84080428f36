// KvCache: the keys and values of one sequence, per layer, in f32 or f16.
//
// Layout per layer: position p's K row (n_head_kv * head_dim elements) at
// p * kv_dim, likewise V. Memory grows with the sequence (doubling, capped at
// n_ctx) so a short request does not pay for the full context.
//
// Ownership: owns its buffers; views returned by View() are invalidated by
// Reserve(). Thread-safety: one sequence is advanced by one thread at a time;
// distinct caches are independent. Failure: Reserve throws bhasa::Error when
// the sequence would exceed n_ctx, leaving the cache unchanged.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/native/kernels.h"

namespace bhasa::native {

enum class KvType { kF32, kF16 };

class KvCache {
 public:
  KvCache(int64_t n_layer, int64_t kv_dim, int64_t n_ctx, KvType type);

  int64_t size() const { return size_; }    // positions stored
  int64_t n_ctx() const { return n_ctx_; }
  KvType type() const { return type_; }
  size_t bytes() const;                      // allocated, all layers, K and V
  bool Fits(int64_t n_layer, int64_t kv_dim, int64_t n_ctx, KvType type) const {
    return n_layer == n_layer_ && kv_dim == kv_dim_ && n_ctx == n_ctx_ && type == type_;
  }

  // Ensures room for positions [size, size + n); throws when size + n > n_ctx.
  void Reserve(int64_t n);
  // Stores n rows of K and V (kv_dim floats each, consecutive rows src_stride
  // floats apart) at positions [start, start + n) of one layer, converting to
  // the cache type. The positions must have been reserved.
  void Write(int64_t layer, int64_t start, const float* k, const float* v, int64_t n, int64_t src_stride);
  KvLayerView View(int64_t layer) const;
  // Marks n more positions as stored (after every layer was written).
  void Commit(int64_t n) { size_ += n; }
  // Forgets positions >= n (n <= size), e.g. to reuse a shared prefix.
  void Truncate(int64_t n);
  void Clear() { size_ = 0; }

 private:
  int64_t n_layer_, kv_dim_, n_ctx_;
  KvType type_;
  int64_t size_ = 0;
  int64_t capacity_ = 0;  // positions allocated
  std::vector<std::vector<uint8_t>> k_, v_;
};

}  // namespace bhasa::native
