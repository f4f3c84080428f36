#include "results/py_stats.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "common/error.h"

namespace bhasa::results {
namespace {

TEST(NumpyPairwiseSum, DiffersFromSequentialWhereNumpyDoes) {
  // 1e16 + eight 1s: sequential addition rounds every +1 away (ties to even);
  // numpy's eight accumulators keep them: ((1e16+1)+(1+1))+((1+1)+(1+1)) + 1.
  std::vector<double> v = {1e16, 1, 1, 1, 1, 1, 1, 1, 1};
  double seq = 0;
  for (double x : v) seq += x;
  EXPECT_EQ(seq, 1e16);
  EXPECT_EQ(NumpyPairwiseSum(v), 1e16 + 8);
  EXPECT_EQ(NumpyPairwiseSum(std::vector<double>{}), 0.0);
}

TEST(NumpyPairwiseSum, MatchesAScalarTwinOfTheBlockRecursion) {
  // A plain restatement of the recursion (block 128, split at a multiple of 8).
  std::function<double(const double*, size_t)> ref = [&](const double* a, size_t n) -> double {
    if (n < 8) {
      double s = 0;
      for (size_t i = 0; i < n; ++i) s += a[i];
      return s;
    }
    if (n <= 128) {
      double r[8] = {};
      size_t full = n - n % 8;
      for (size_t i = 0; i < full; ++i) r[i % 8] += a[i];
      double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (size_t i = full; i < n; ++i) s += a[i];
      return s;
    }
    size_t h = n / 2;
    h -= h % 8;
    return ref(a, h) + ref(a + h, n - h);
  };
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 100);
  for (size_t n : {0, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 255, 256, 257, 1000, 4099}) {
    std::vector<double> v(n);
    for (double& x : v) x = u(rng);
    EXPECT_EQ(NumpyPairwiseSum(v), ref(v.data(), n)) << n;
  }
}

TEST(NumpyMeanAxis0, AddsRowsInOrder) {
  auto m = NumpyMeanAxis0({{1, 2}, {3, 5}});
  EXPECT_EQ(m, (std::vector<double>{2, 3.5}));
  EXPECT_THROW(NumpyMeanAxis0({{1, 2}, {3}}), Error);
  EXPECT_TRUE(NumpyMeanAxis0({}).empty());
}

TEST(PyMean, IsCorrectlyRounded) {
  std::vector<double> v = {0.1, 0.2, 0.3};
  EXPECT_EQ((0.1 + 0.2 + 0.3) / 3, 0.20000000000000004);  // the naive result
  EXPECT_EQ(PyMean(v), 0.2);                               // statistics.mean([0.1, 0.2, 0.3])
  EXPECT_EQ(PyMean(std::vector<double>{}), 0.0);
  EXPECT_EQ(PyMean(std::vector<double>{-1.5, 0.5}), -0.5);
  EXPECT_EQ(PyMean(std::vector<double>{1e-300, 3e-300}), 2e-300);
}

TEST(PyVariance, ExactSampleVariance) {
  EXPECT_EQ(PyVariance(std::vector<double>{1, 2, 3, 4}), 5.0 / 3.0);
  EXPECT_EQ(PyVariance(std::vector<double>{7, 7, 7}), 0.0);
  EXPECT_THROW(PyVariance(std::vector<double>{1}), Error);
  // Python 3.11: statistics.variance([0.1, 0.2, 0.3]) == 0.009999999999999998
  EXPECT_EQ(PyVariance(std::vector<double>{0.1, 0.2, 0.3}), 0.009999999999999998);
}

TEST(PyStderr, AgreesWithLongDoubleOnRandomInputs) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0, 100);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<double> v(30);
    for (double& x : v) x = u(rng);
    long double mean = 0;
    for (double x : v) mean += x;
    mean /= 30;
    long double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    double want = std::sqrt(static_cast<double>(ss / 29) / 30);
    EXPECT_NEAR(PyStderr(v), want, 1e-13 * want);
    EXPECT_NEAR(PyMean(v), static_cast<double>(mean), 1e-13 * static_cast<double>(mean));
  }
  EXPECT_EQ(PyStderr(std::vector<double>{}), 0.0);
}

}  // namespace
}  // namespace bhasa::results
