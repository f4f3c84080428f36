#include "results/pcg64.h"

#include <string>

#include "common/error.h"

namespace bhasa::results {

namespace {

// SeedSequence's hashing constants (O'Neill's seed_seq alternative).
constexpr uint32_t kInitA = 0x43b0d7e5, kMultA = 0x931e8875;
constexpr uint32_t kInitB = 0x8b51f9dd, kMultB = 0x58f38ded;
constexpr uint32_t kMixMultL = 0xca01f9dd, kMixMultR = 0x4973f715;
constexpr int kXShift = 16;
constexpr size_t kPoolSize = 4;

uint32_t HashMix(uint32_t value, uint32_t& hash_const) {
  value ^= hash_const;
  hash_const *= kMultA;
  value *= hash_const;
  value ^= value >> kXShift;
  return value;
}

uint32_t Mix(uint32_t x, uint32_t y) {
  uint32_t r = kMixMultL * x - kMixMultR * y;
  return r ^ (r >> kXShift);
}

constexpr unsigned __int128 kPcgMultiplier =
    (static_cast<unsigned __int128>(2549297995355413924ULL) << 64) | 4865540595714422341ULL;

}  // namespace

std::vector<uint32_t> SeedSequenceState(uint64_t entropy, size_t n_words) {
  // The integer becomes little-endian 32-bit words; zero is one word.
  std::vector<uint32_t> words;
  do {
    words.push_back(static_cast<uint32_t>(entropy));
    entropy >>= 32;
  } while (entropy != 0);

  uint32_t pool[kPoolSize];
  uint32_t hash_const = kInitA;
  for (size_t i = 0; i < kPoolSize; ++i) pool[i] = HashMix(i < words.size() ? words[i] : 0, hash_const);
  for (size_t src = 0; src < kPoolSize; ++src)
    for (size_t dst = 0; dst < kPoolSize; ++dst)
      if (src != dst) pool[dst] = Mix(pool[dst], HashMix(pool[src], hash_const));
  for (size_t src = kPoolSize; src < words.size(); ++src)
    for (size_t dst = 0; dst < kPoolSize; ++dst) pool[dst] = Mix(pool[dst], HashMix(words[src], hash_const));

  std::vector<uint32_t> state(n_words);
  uint32_t hb = kInitB;
  for (size_t i = 0; i < n_words; ++i) {
    uint32_t v = pool[i % kPoolSize];
    v ^= hb;
    hb *= kMultB;
    v *= hb;
    v ^= v >> kXShift;
    state[i] = v;
  }
  return state;
}

NumpyGenerator::NumpyGenerator(uint64_t seed) {
  // PCG64 asks for 4 uint64 words (8 uint32 viewed little-endian): the first
  // two are the initial state (high, low), the last two the stream.
  auto s = SeedSequenceState(seed, 8);
  auto word = [&](int i) { return static_cast<uint64_t>(s[2 * i]) | (static_cast<uint64_t>(s[2 * i + 1]) << 32); };
  unsigned __int128 initstate = (static_cast<unsigned __int128>(word(0)) << 64) | word(1);
  unsigned __int128 initseq = (static_cast<unsigned __int128>(word(2)) << 64) | word(3);
  state_ = 0;
  inc_ = (initseq << 1) | 1;
  state_ = state_ * kPcgMultiplier + inc_;
  state_ += initstate;
  state_ = state_ * kPcgMultiplier + inc_;
}

uint64_t NumpyGenerator::Next64() {
  state_ = state_ * kPcgMultiplier + inc_;
  // XSL-RR output of the new state.
  uint64_t hi = static_cast<uint64_t>(state_ >> 64), lo = static_cast<uint64_t>(state_);
  uint64_t x = hi ^ lo;
  unsigned rot = static_cast<unsigned>(state_ >> 122);
  return (x >> rot) | (x << ((64 - rot) & 63));
}

uint32_t NumpyGenerator::Next32() {
  if (has_uint32_) {
    has_uint32_ = false;
    return uinteger_;
  }
  uint64_t next = Next64();
  has_uint32_ = true;
  uinteger_ = static_cast<uint32_t>(next >> 32);
  return static_cast<uint32_t>(next);
}

double NumpyGenerator::Random() { return static_cast<double>(Next64() >> 11) * (1.0 / 9007199254740992.0); }

std::vector<int64_t> NumpyGenerator::Integers(int64_t low, int64_t high, size_t count) {
  if (high <= low)
    throw Error("integers: high (" + std::to_string(high) + ") must be greater than low (" + std::to_string(low) + ")");
  // numpy's random_bounded_uint64_fill with use_masked=False: an inclusive
  // range `rng`; ranges that fit 32 bits use Lemire's method on 32-bit draws.
  const uint64_t rng = static_cast<uint64_t>(high) - static_cast<uint64_t>(low) - 1;
  const uint64_t off = static_cast<uint64_t>(low);
  std::vector<int64_t> out(count);
  if (rng == 0) {
    for (auto& v : out) v = low;
  } else if (rng <= 0xFFFFFFFFULL) {
    if (rng == 0xFFFFFFFFULL) {
      for (auto& v : out) v = static_cast<int64_t>(off + Next32());
    } else {
      const uint32_t rng_excl = static_cast<uint32_t>(rng) + 1;
      for (auto& v : out) {
        uint64_t m = static_cast<uint64_t>(Next32()) * rng_excl;
        uint32_t leftover = static_cast<uint32_t>(m);
        if (leftover < rng_excl) {
          const uint32_t threshold = static_cast<uint32_t>((0xFFFFFFFFULL - rng) % rng_excl);
          while (leftover < threshold) {
            m = static_cast<uint64_t>(Next32()) * rng_excl;
            leftover = static_cast<uint32_t>(m);
          }
        }
        v = static_cast<int64_t>(off + (m >> 32));
      }
    }
  } else if (rng == 0xFFFFFFFFFFFFFFFFULL) {
    for (auto& v : out) v = static_cast<int64_t>(off + Next64());
  } else {
    const uint64_t rng_excl = rng + 1;
    for (auto& v : out) {
      unsigned __int128 m = static_cast<unsigned __int128>(Next64()) * rng_excl;
      uint64_t leftover = static_cast<uint64_t>(m);
      if (leftover < rng_excl) {
        const uint64_t threshold = (0xFFFFFFFFFFFFFFFFULL - rng) % rng_excl;
        while (leftover < threshold) {
          m = static_cast<unsigned __int128>(Next64()) * rng_excl;
          leftover = static_cast<uint64_t>(m);
        }
      }
      v = static_cast<int64_t>(off + static_cast<uint64_t>(m >> 64));
    }
  }
  return out;
}

}  // namespace bhasa::results
