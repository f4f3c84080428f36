#include "metrics/mt19937_blocks.h"

namespace bhasa::metrics {

namespace {

constexpr size_t kShift = 397;  // the middle word's distance
constexpr uint32_t kMatrixA = 0x9908b0dfu;

// One twisted word from words i, i+1 and i+397 (mod 624).
inline uint32_t TwistWord(uint32_t cur, uint32_t next, uint32_t mid) {
  const uint32_t y = (cur & 0x80000000u) | (next & 0x7fffffffu);
  return mid ^ (y >> 1) ^ (kMatrixA & (0u - (y & 1u)));
}

}  // namespace

Mt19937Blocks::Mt19937Blocks(uint32_t seed) {
  state_[0] = seed;
  for (uint32_t i = 1; i < kWords; ++i) state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + i;
}

// Words below 227 read only words not yet twisted; the rest read the word
// 227 back, already twisted, which is farther than any vector is wide.
void Mt19937Blocks::Twist() {
  uint32_t* s = state_.data();
  for (size_t i = 0; i < kWords - kShift; ++i) s[i] = TwistWord(s[i], s[i + 1], s[i + kShift]);
  for (size_t i = kWords - kShift; i < kWords - 1; ++i)
    s[i] = TwistWord(s[i], s[i + 1], s[i + kShift - kWords]);
  s[kWords - 1] = TwistWord(s[kWords - 1], s[0], s[kShift - 1]);
}

std::span<const uint32_t, Mt19937Blocks::kWords> Mt19937Blocks::Next() {
  Twist();
  for (size_t i = 0; i < kWords; ++i) {
    uint32_t y = state_[i];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    out_[i] = y ^ (y >> 18);
  }
  return out_;
}

}  // namespace bhasa::metrics
