#include "results/pcg64.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace bhasa::results {
namespace {

// Expected values are numpy's own outputs (numpy documentation and published
// test vectors of numpy.random.default_rng).

TEST(NumpySeedSequence, GenerateStateForSeed42) {
  auto s = SeedSequenceState(42, 8);
  std::vector<uint32_t> want = {3444837047u, 2669555309u, 2046530742u, 3581440988u,
                                1691623607u, 2099784219u, 1184028159u, 862288241u};
  EXPECT_EQ(s, want);
}

TEST(NumpyGenerator, Uint64StreamForSeed42) {
  NumpyGenerator g(42);
  for (uint64_t want : {14276969152011380360ULL, 8095878257575067585ULL, 15838336090824644132ULL,
                        12864169557245331597ULL, 1737265434024182251ULL})
    EXPECT_EQ(g.Next64(), want);
}

TEST(NumpyGenerator, RandomMatchesNumpyForSeveralSeeds) {
  struct Case {
    uint64_t seed;
    std::vector<double> want;
  };
  std::vector<Case> cases = {
      {0, {0.63696168732145431, 0.26978671376387031, 0.040973523936194689, 0.016527635528529094, 0.81327023920027242}},
      {1, {0.51182162470025672, 0.9504636963259353, 0.14415961271963373, 0.94864944713724386, 0.31183145201048545}},
      {12345, {0.22733602246716966, 0.31675833970975287, 0.79736545733273412, 0.67625467075097456, 0.391109550601909}},
      {999999, {0.62257801174698335, 0.50321986129929841, 0.61278110245884587, 0.97442236943003546, 0.54176893874297283}},
  };
  for (const auto& c : cases) {
    NumpyGenerator g(c.seed);
    for (double w : c.want) EXPECT_EQ(g.Random(), w) << "seed " << c.seed;
  }
}

TEST(NumpyGenerator, IntegersMatchNumpy) {
  // np.random.default_rng(12345).integers(low=0, high=10, size=3)
  EXPECT_EQ(NumpyGenerator(12345).Integers(0, 10, 3), (std::vector<int64_t>{6, 2, 7}));
  // np.random.default_rng(42).integers(0, 100000, 10)
  EXPECT_EQ(NumpyGenerator(42).Integers(0, 100000, 10),
            (std::vector<int64_t>{8925, 77395, 65457, 43887, 43301, 85859, 8594, 69736, 20146, 9417}));
}

TEST(NumpyGenerator, IntegersUseHalvesOf64BitDraws) {
  // 32-bit bounded draws consume the low half then the high half of each
  // 64-bit output: three draws advance the generator by two outputs.
  NumpyGenerator a(7), b(7);
  a.Integers(0, 8, 3);
  b.Next64();
  b.Next64();
  EXPECT_EQ(a.Next64(), b.Next64());
}

TEST(NumpyGenerator, SingleValueRangeDrawsNothing) {
  NumpyGenerator a(94370244), b(94370244);
  auto v = a.Integers(0, 1, 50);
  EXPECT_EQ(v, std::vector<int64_t>(50, 0));
  EXPECT_EQ(a.Next64(), b.Next64());
}

TEST(NumpyGenerator, IntegersStayInRangeAndRejectEmptyRange) {
  NumpyGenerator g(94370244);
  for (int64_t hi : {2, 3, 7, 8, 1000003}) {
    for (int64_t v : g.Integers(0, hi, 500)) {
      ASSERT_GE(v, 0);
      ASSERT_LT(v, hi);
    }
  }
  auto big = g.Integers(5, (int64_t{1} << 40) + 5, 100);
  for (int64_t v : big) ASSERT_TRUE(v >= 5 && v < (int64_t{1} << 40) + 5);
  EXPECT_THROW(g.Integers(3, 3, 1), Error);
}

}  // namespace
}  // namespace bhasa::results
