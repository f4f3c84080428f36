// PrefixPool: KV caches of finished sequences, kept so that a later prompt
// starting with the same tokens (a task's few-shot block or instruction, a
// conversation's earlier turns) does not evaluate them again.
//
// Usage (one engine thread):
//   int64_t reused = 0;
//   auto cache = pool.Take(prompt, &reused);     // evaluate prompt[reused..]
//   ...
//   pool.Put(tokens_in_cache, std::move(cache));  // when the sequence ends
//
// Reused positions hold the keys and values the earlier evaluation computed;
// they equal a fresh evaluation's up to float rounding (a batch of one token
// and a batch of many may sum in different orders).
//
// Ownership: owns the pooled caches. Thread-safety: none; one thread drives a
// pool. Failure: none (a cache that does not fit the budget is dropped).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "backends/native/kv_cache.h"

namespace bhasa::native {

class PrefixPool {
 public:
  // budget_bytes: most cache memory kept (0 disables the pool);
  // min_tokens: shortest shared prefix worth taking a cache for.
  PrefixPool(size_t budget_bytes, int64_t min_tokens);

  // Takes out the cache sharing the longest prefix with `prompt` (at least
  // min_tokens, leaving at least one prompt token to evaluate, and still
  // held by every sliding-window layer: KvCache::CanTruncate), truncated to
  // that prefix, and sets *reused to its length; nullptr and 0 when none.
  std::unique_ptr<KvCache> Take(std::span<const int32_t> prompt, int64_t* reused);
  // What Take would reuse for `prompt`, without taking anything.
  int64_t Longest(std::span<const int32_t> prompt) const;
  // Keeps a cache holding `tokens` (one per stored position), evicting the
  // least recently used entries beyond the budget.
  void Put(std::vector<int32_t> tokens, std::unique_ptr<KvCache> cache);

  size_t bytes() const;
  size_t size() const { return entries_.size(); }
  bool enabled() const { return budget_ > 0; }

 private:
  struct Entry {
    std::vector<int32_t> tokens;
    std::unique_ptr<KvCache> cache;
    uint64_t stamp = 0;  // larger = more recently put
  };
  // Index and length of the best entry for `prompt` (index == size() when none qualifies).
  std::pair<size_t, int64_t> Best(std::span<const int32_t> prompt) const;

  size_t budget_;
  int64_t min_tokens_;
  uint64_t clock_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace bhasa::native
