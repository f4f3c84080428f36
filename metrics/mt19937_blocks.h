// std::mt19937's output stream, 624 words at a time. The twist and the
// tempering run branch-free over whole arrays, which the compiler vectorizes;
// std::mt19937 twists one word at a time with a branch on each word's low bit.
// The ROUGE-L bootstrap draws ten million words from one stream, in order.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace bhasa::metrics {

class Mt19937Blocks {
 public:
  static constexpr size_t kWords = 624;

  explicit Mt19937Blocks(uint32_t seed);
  // The next kWords outputs of std::mt19937(seed).
  std::span<const uint32_t, kWords> Next();

 private:
  void Twist();
  std::array<uint32_t, kWords> state_;
  std::array<uint32_t, kWords> out_;
};

}  // namespace bhasa::metrics
