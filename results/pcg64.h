// numpy's default_rng: SeedSequence seeding, the PCG64 bit generator and
// Generator.integers / Generator.random, reproduced bit for bit so that
// SEA-HELM's leaderboard bootstrap (numpy.random.default_rng(94370244)) draws
// the same indices here as in its notebook.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bhasa::results {

// numpy.random.SeedSequence(entropy).generate_state(n_words, uint32) for a
// non-negative integer entropy and no spawn key (pool size 4).
std::vector<uint32_t> SeedSequenceState(uint64_t entropy, size_t n_words);

// Equivalent of numpy.random.default_rng(seed). Not thread-safe: one
// generator per thread, used sequentially (the notebook shares one generator
// across every task in order, so callers must draw in that same order).
class NumpyGenerator {
 public:
  explicit NumpyGenerator(uint64_t seed);

  uint64_t Next64();
  // numpy's next_uint32: the low half of a fresh 64-bit draw, then its high half.
  uint32_t Next32();
  // Generator.random(): [0, 1) with 53 random bits.
  double Random();
  // Generator.integers(low, high, size=count) with the default int64 dtype
  // and endpoint=False, in C order. Error when high <= low.
  std::vector<int64_t> Integers(int64_t low, int64_t high, size_t count);

 private:
  unsigned __int128 state_ = 0, inc_ = 0;
  bool has_uint32_ = false;
  uint32_t uinteger_ = 0;
};

}  // namespace bhasa::results
