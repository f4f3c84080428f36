// The integer dot products of the CUDA decode GEMV (cuda/vec_dot_q8_1.h),
// compiled for the host: each weight unit · Q8_1 activation block must equal
// the float dot product of the dequantized weights (DequantizeRow) with the
// dequantized activations. Runs on every machine, GPU or not.
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "backends/native/cuda/vec_dot_q8_1.h"
#include "backends/native/ggml_types.h"

namespace bhasa::native {
namespace {

namespace el = cuda_elem;

std::vector<float> Random(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<el::BlockQ8_1> QuantizeActivations(const std::vector<float>& x) {
  std::vector<el::BlockQ8_1> q(x.size() / el::kQK8_1);
  for (size_t b = 0; b < q.size(); ++b) el::QuantizeQ8_1(x.data() + b * el::kQK8_1, &q[b]);
  return q;
}

TEST(CudaVecDot, QuantizeQ8_1RoundsToTheNearestStep) {
  auto x = Random(4 * el::kQK8_1, 3, 2.0f);
  for (int i = 64; i < 96; ++i) x[i] = 0.0f;  // an all-zero block
  x[7] = -11.0f;                              // the block's largest magnitude
  const auto q = QuantizeActivations(x);
  for (size_t b = 0; b < q.size(); ++b) {
    int sum = 0;
    for (int i = 0; i < el::kQK8_1; ++i) {
      const float v = x[b * el::kQK8_1 + i];
      EXPECT_LE(std::fabs(v - q[b].qs[i] * q[b].d), 0.5f * q[b].d * (1 + 1e-6f) + 1e-30f) << b << " " << i;
      sum += q[b].qs[i];
    }
    EXPECT_EQ(q[b].s, q[b].d * static_cast<float>(sum));
  }
  EXPECT_EQ(q[0].qs[7], -127);
  EXPECT_EQ(q[2].d, 0.0f);
  EXPECT_EQ(q[2].s, 0.0f);
}

TEST(CudaVecDot, Dp4aSumsSignedBytes) {
  EXPECT_EQ(el::Dp4a(0x01020304, 0x01010101, 5), 5 + 1 + 2 + 3 + 4);
  EXPECT_EQ(el::Dp4a(static_cast<int>(0xFF80007Fu), 0x7F7F7F7F, 0), (-1 - 128 + 0 + 127) * 127);
}

// Units of a row of `n` weights of `type`, dotted through `dot(row, unit, x)`.
template <typename Dot>
void CheckUnits(GgmlType type, int64_t n, Dot dot) {
  SCOPED_TRACE(TypeName(type));
  for (uint32_t seed : {11u, 12u, 13u}) {
    const auto w = Random(n, seed, 0.6f);
    std::vector<uint8_t> wq(RowBytes(type, n));
    QuantizeRow(type, w.data(), wq.data(), n);
    std::vector<float> wd(n);
    DequantizeRow(type, wq.data(), wd.data(), n);
    const auto x = Random(n, seed + 100, 1.5f);
    const auto xq = QuantizeActivations(x);
    for (int64_t u = 0; u < n / el::kUnit; ++u) {
      double want = 0, scale = 0;
      for (int64_t e = u * el::kUnit; e < (u + 1) * el::kUnit; ++e) {
        const double xv = static_cast<double>(xq[u].qs[e % el::kUnit]) * xq[u].d;
        want += static_cast<double>(wd[e]) * xv;
        scale += std::fabs(static_cast<double>(wd[e]) * xv);
      }
      const float got = dot(wq.data(), u, xq[u]);
      ASSERT_NEAR(got, want, 1e-5 * scale + 1e-7) << "unit " << u << " seed " << seed;
    }
  }
}

TEST(CudaVecDot, EveryUnitMatchesTheDequantizedDotProduct) {
  using namespace quant;
  CheckUnits(GgmlType::Q8_0, 3 * 32, [](const uint8_t* row, int64_t u, const el::BlockQ8_1& x) {
    return el::DotQ8_0(reinterpret_cast<const BlockQ8_0*>(row)[u], x);
  });
  CheckUnits(GgmlType::Q4_0, 5 * 32, [](const uint8_t* row, int64_t u, const el::BlockQ8_1& x) {
    return el::DotQ4_0(reinterpret_cast<const BlockQ4_0*>(row)[u], x);
  });
  CheckUnits(GgmlType::Q4_K, 3 * 256, [](const uint8_t* row, int64_t u, const el::BlockQ8_1& x) {
    return el::DotQ4_K(reinterpret_cast<const BlockQ4_K*>(row)[u / 8], static_cast<int>(u % 8), x);
  });
  CheckUnits(GgmlType::Q6_K, 3 * 256, [](const uint8_t* row, int64_t u, const el::BlockQ8_1& x) {
    return el::DotQ6_K(reinterpret_cast<const BlockQ6_K*>(row)[u / 8], static_cast<int>(u % 8), x);
  });
}

}  // namespace
}  // namespace bhasa::native
