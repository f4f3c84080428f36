// A multiset of packed n-gram keys for counting chrF++ matches: the
// hypothesis's n-grams are added, then each reference n-gram takes one copy
// if any is left, so the number taken is sum(min(hyp count, ref count)), as
// sacrebleu's Counter intersection. Open addressing over a table reused
// from row to row: a slot belongs to the current row only when it carries
// the row's stamp, so starting a row clears nothing. Key is unsigned
// __int128 for the widest n-grams, or uint64_t, whose slots take half the
// room and whose hashing is one multiplication.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

namespace bhasa::metrics {

template <class KeyType>
class NgramMultiset {
 public:
  using Key = KeyType;

  // Empties the set and makes room for `max_keys` additions.
  void Reset(size_t max_keys) {
    const size_t want = std::bit_ceil(std::max<size_t>(64, 4 * max_keys));  // load at most 1/4
    if (want > slots_.size()) {
      slots_.assign(want, Slot{});
      stamp_ = 0;
    }
    mask_ = slots_.size() - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(slots_.size()));
    if (++stamp_ == 0) {  // wrapped: old stamps could look current
      slots_.assign(slots_.size(), Slot{});
      stamp_ = 1;
    }
  }

  void Add(Key k) {
    Slot& s = Find(k);
    // The slot is written whole whether the n-gram is new or not (either is
    // common): a few percent faster on chrF++ rows than a branch around it.
    s.count = (s.stamp == stamp_ ? s.count : 0) + 1;
    s.key = k;
    s.stamp = stamp_;
  }

  enum class Taken { kOne, kNoneLeft, kNeverAdded };

  // Takes one copy of `k` if any is left.
  Taken Take(Key k) {
    Slot& s = Find(k);
    if (s.stamp != stamp_) return Taken::kNeverAdded;
    if (s.count == 0) return Taken::kNoneLeft;
    --s.count;
    return Taken::kOne;
  }

 private:
  struct Slot {
    Key key = 0;
    uint32_t count = 0;
    uint32_t stamp = 0;
  };

  // The slot holding `k`, or the empty (stale) slot where it would go.
  Slot& Find(Key k) {
    // Multiplicative hashing: the top bits of the product index the table.
    uint64_t folded = static_cast<uint64_t>(k);
    if constexpr (sizeof(Key) > sizeof(uint64_t)) folded ^= static_cast<uint64_t>(k >> 64) * 0x9e3779b97f4a7c15ull;
    for (size_t i = (folded * 0xd6e8feb86659fd93ull) >> shift_;; i = (i + 1) & mask_)
      if (slots_[i].stamp != stamp_ || slots_[i].key == k) return slots_[i];
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  unsigned shift_ = 64;
  uint32_t stamp_ = 0;
};

}  // namespace bhasa::metrics
