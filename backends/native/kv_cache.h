// KvCache: the keys and values of one sequence, per layer, in f32 or f16.
//
// Layout per layer: position p's K row (n_head_kv * head_dim elements) at
// row KvRow(p, slots) (kernels.h), likewise V. Memory grows with the
// sequence (doubling, capped at n_ctx) so a short request does not pay for
// the full context.
//
// Sliding windows: a layer whose queries see only the last `window`
// positions (windows[layer] > 0) keeps at most window - 1 + n rows, n the
// most positions one Reserve asked for (a forward call's tokens): once the
// sequence outgrows that, the rows form a ring and what no query of that
// layer can see again is overwritten. A global layer (window 0) keeps every
// position. The ring also bounds prefix reuse: Truncate(n) needs positions
// n - window + 1 .. n - 1 of every sliding layer still held (CanTruncate).
//
// Ownership: owns its buffers; views returned by View() are invalidated by
// Reserve(). Thread-safety: one sequence is advanced by one thread at a time;
// distinct caches are independent. Failure: Reserve throws bhasa::Error when
// the sequence would exceed n_ctx, Truncate when the ring no longer holds
// what the shorter sequence needs; both leave the cache unchanged.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/native/kernels.h"

namespace bhasa::native {

enum class KvType { kF32, kF16 };

class KvCache {
 public:
  // windows: per layer, the keys a query sees (0: all); empty = all global.
  KvCache(int64_t n_layer, int64_t kv_dim, int64_t n_ctx, KvType type, std::vector<int64_t> windows = {});

  int64_t size() const { return size_; }    // positions stored
  int64_t n_ctx() const { return n_ctx_; }
  KvType type() const { return type_; }
  size_t bytes() const;                      // allocated, all layers, K and V
  // Rows layer `layer` holds: the positions reserved so far, or its ring.
  int64_t slots(int64_t layer) const { return slots_[layer]; }
  bool Fits(int64_t n_layer, int64_t kv_dim, int64_t n_ctx, KvType type, const std::vector<int64_t>& windows) const;

  // Ensures room for positions [size, size + n); throws when size + n > n_ctx.
  void Reserve(int64_t n);
  // Stores n rows of K and V (kv_dim floats each, consecutive rows src_stride
  // floats apart) at positions [start, start + n) of one layer, converting to
  // the cache type. The positions must have been reserved.
  void Write(int64_t layer, int64_t start, const float* k, const float* v, int64_t n, int64_t src_stride);
  KvLayerView View(int64_t layer) const;
  // Marks n more positions as stored (after every layer was written).
  void Commit(int64_t n) { size_ += n; }
  // Whether Truncate(n) leaves a cache that later positions can extend: n <=
  // size and every sliding layer still holds the positions its window shows
  // a query at position n.
  bool CanTruncate(int64_t n) const;
  // Forgets positions >= n, e.g. to reuse a shared prefix; throws unless
  // CanTruncate(n).
  void Truncate(int64_t n);
  void Clear();

 private:
  int64_t Window(int64_t layer) const { return windows_.empty() ? 0 : windows_[layer]; }
  // Gives layer `layer` `slots` rows, moving the positions it still holds.
  void Resize(int64_t layer, int64_t slots);

  int64_t n_layer_, kv_dim_, n_ctx_;
  KvType type_;
  std::vector<int64_t> windows_;
  int64_t size_ = 0;
  int64_t capacity_ = 0;          // positions reserved: every position < capacity_ may be written
  int64_t widest_ = 0;            // most positions one Reserve asked for
  std::vector<int64_t> slots_;    // per layer: rows allocated (== capacity_ unless a ring)
  std::vector<int64_t> held_from_;  // per layer: the first position its rows still hold
  std::vector<std::vector<uint8_t>> k_, v_;
};

}  // namespace bhasa::native
