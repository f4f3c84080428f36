#include "backends/native/prefix_pool.h"

#include <algorithm>

namespace bhasa::native {

PrefixPool::PrefixPool(size_t budget_bytes, int64_t min_tokens)
    : budget_(budget_bytes), min_tokens_(std::max<int64_t>(1, min_tokens)) {}

std::pair<size_t, int64_t> PrefixPool::Best(std::span<const int32_t> prompt) const {
  const int64_t limit = static_cast<int64_t>(prompt.size()) - 1;  // keep one token to evaluate
  size_t best = entries_.size();
  int64_t best_len = 0;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const auto& held = entries_[i].tokens;
    const int64_t n = std::min<int64_t>(limit, static_cast<int64_t>(held.size()));
    int64_t len = 0;
    while (len < n && held[len] == prompt[len]) ++len;
    // A sliding-window ring may no longer hold what a prefix that short needs.
    if (!entries_[i].cache->CanTruncate(len)) continue;
    if (len > best_len) best = i, best_len = len;
  }
  if (best_len < min_tokens_) return {entries_.size(), 0};
  return {best, best_len};
}

int64_t PrefixPool::Longest(std::span<const int32_t> prompt) const { return Best(prompt).second; }

std::unique_ptr<KvCache> PrefixPool::Take(std::span<const int32_t> prompt, int64_t* reused) {
  const auto [best, len] = Best(prompt);
  *reused = 0;
  if (best == entries_.size()) return nullptr;
  auto cache = std::move(entries_[best].cache);
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(best));
  cache->Truncate(len);
  *reused = len;
  return cache;
}

void PrefixPool::Put(std::vector<int32_t> tokens, std::unique_ptr<KvCache> cache) {
  if (!cache || budget_ == 0 || static_cast<int64_t>(tokens.size()) < min_tokens_ ||
      cache->size() != static_cast<int64_t>(tokens.size()) || cache->bytes() > budget_)
    return;
  entries_.push_back({std::move(tokens), std::move(cache), ++clock_});
  while (bytes() > budget_) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                   [](const Entry& a, const Entry& b) { return a.stamp < b.stamp; });
    entries_.erase(oldest);
  }
}

size_t PrefixPool::bytes() const {
  size_t total = 0;
  for (const auto& e : entries_) total += e.cache->bytes();
  return total;
}

}  // namespace bhasa::native
