#include "metrics/mt19937_blocks.h"

#include <random>

#include <gtest/gtest.h>

namespace bhasa::metrics {
namespace {

TEST(Mt19937Blocks, SameStreamAsStdMt19937) {
  for (uint32_t seed : {0u, 1u, 4156u, 5489u, 0xffffffffu}) {
    std::mt19937 reference(seed);
    Mt19937Blocks blocks(seed);
    for (int b = 0; b < 40; ++b) {  // 40 twists: every word position many times
      const auto block = blocks.Next();
      for (size_t i = 0; i < block.size(); ++i)
        ASSERT_EQ(block[i], reference()) << "seed " << seed << " block " << b << " word " << i;
    }
  }
}

}  // namespace
}  // namespace bhasa::metrics
