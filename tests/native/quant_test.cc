// Block formats: hand-computed layouts, round trips, error bounds, and the
// SIMD VecDot against the scalar VecDotRef on random rows of awkward sizes.
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/native/ggml_types.h"
#include "backends/native/quant_blocks.h"
#include "backends/native/row_alignment.h"
#include "common/error.h"
#include "tests/native/vecdot_targets.h"

namespace bhasa::native {
namespace {

const GgmlType kWeightTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0,
                                 GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q2_K, GgmlType::Q3_K,
                                 GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};

std::vector<float> RandomRow(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<uint8_t> Quant(GgmlType t, const std::vector<float>& x) {
  std::vector<uint8_t> q(RowBytes(t, x.size()));
  QuantizeRow(t, x.data(), q.data(), x.size());
  return q;
}

std::vector<float> Dequant(GgmlType t, const std::vector<uint8_t>& q, int64_t n) {
  std::vector<float> y(n);
  DequantizeRow(t, q.data(), y.data(), n);
  return y;
}

double RelRms(const std::vector<float>& a, const std::vector<float>& b) {
  double e = 0, s = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    e += (a[i] - b[i]) * double(a[i] - b[i]);
    s += double(a[i]) * a[i];
  }
  return std::sqrt(e / s);
}

TEST(GgmlTypes, TraitsMatchGgml) {
  EXPECT_EQ(Traits(GgmlType::Q4_0).type_size, 18u);
  EXPECT_EQ(Traits(GgmlType::Q4_K).type_size, 144u);
  EXPECT_EQ(Traits(GgmlType::Q6_K).block_size, 256);
  EXPECT_EQ(RowBytes(GgmlType::Q8_0, 64), 68u);
  EXPECT_EQ(RowBytes(GgmlType::BF16, 3), 6u);
  EXPECT_THROW(RowBytes(GgmlType::Q4_K, 128), Error);
  EXPECT_THROW(Traits(static_cast<GgmlType>(99)), Error);
  EXPECT_TRUE(IsKnownType(30));
  EXPECT_FALSE(IsKnownType(4));
  EXPECT_FALSE(IsKnownType(31));
  EXPECT_EQ(VecDotType(GgmlType::Q5_0), GgmlType::Q8_0);
  EXPECT_EQ(VecDotType(GgmlType::Q3_K), GgmlType::Q8_K);
  EXPECT_EQ(VecDotType(GgmlType::BF16), GgmlType::BF16);
  std::vector<float> x(32, 1.0f);
  std::vector<uint8_t> q(20);
  EXPECT_THROW(QuantizeRow(GgmlType::Q4_1, x.data(), q.data(), 32), Error);  // known, unsupported
}

TEST(GgmlTypes, HalfConversions) {
  EXPECT_EQ(Fp32ToFp16(1.0f), 0x3c00);
  EXPECT_EQ(Fp32ToFp16(-2.0f), 0xc000);
  EXPECT_EQ(Fp32ToFp16(65504.0f), 0x7bff);
  EXPECT_EQ(Fp32ToFp16(65520.0f), 0x7c00);        // rounds to infinity
  EXPECT_EQ(Fp32ToFp16(1.0f + 1.0f / 2048), 0x3c00);   // tie → even
  EXPECT_EQ(Fp32ToFp16(1.0f + 3.0f / 2048), 0x3c02);   // tie → even (up)
  EXPECT_EQ(Fp32ToFp16(5.960464477539063e-08f), 0x0001);  // smallest subnormal
  EXPECT_EQ(Fp32ToFp16(2.9802322387695312e-08f), 0x0000); // half of it: tie → 0
  EXPECT_FLOAT_EQ(Fp16ToFp32(0x0001), 5.960464477539063e-08f);
  EXPECT_FLOAT_EQ(Fp16ToFp32(0x3555), 0.333251953125f);
  EXPECT_TRUE(std::isinf(Fp16ToFp32(0x7c00)));
  EXPECT_TRUE(std::isnan(Fp16ToFp32(0x7e00)));
  // Every finite half round-trips exactly.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) == 0x7c00) continue;
    ASSERT_EQ(Fp32ToFp16(Fp16ToFp32(static_cast<uint16_t>(h))), h) << h;
  }
  EXPECT_EQ(Fp32ToBf16(1.0f), 0x3f80);
  EXPECT_EQ(Fp32ToBf16(1.00390625f), 0x3f80);    // tie → even
  EXPECT_EQ(Fp32ToBf16(1.01171875f), 0x3f82);    // tie → even (up)
  EXPECT_FLOAT_EQ(Bf16ToFp32(0x4049), 3.140625f);
}

// Q4_0 layout worked by hand: max |x| is -8 → d = 1, q = x + 8.
TEST(QuantLayout, Q4_0ByHand) {
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>((i % 16) - 8);
  x[0] = -8;
  auto q = Quant(GgmlType::Q4_0, x);
  quant::BlockQ4_0 b;
  std::memcpy(&b, q.data(), sizeof(b));
  EXPECT_EQ(b.d, 0x3c00);  // 1.0
  EXPECT_EQ(b.qs[0], 0x00);             // x[0]=-8 → 0, x[16]=-8 → 0
  EXPECT_EQ(b.qs[3], 0x33);             // x[3]=-5 → 3, x[19]=-5 → 3
  EXPECT_EQ(Dequant(GgmlType::Q4_0, q, 32), x);
}

TEST(QuantLayout, Q8_0AndQ8KByHand) {
  std::vector<float> x(256, 0.0f);
  x[0] = 127.0f;
  x[1] = -63.5f;  // * 1 → -63.5: ref rounds away from zero, activations to even
  x[2] = 2.5f;
  auto q = Quant(GgmlType::Q8_0, x);
  quant::BlockQ8_0 b;
  std::memcpy(&b, q.data(), sizeof(b));
  EXPECT_EQ(b.d, 0x3c00);
  EXPECT_EQ(b.qs[1], -64);
  EXPECT_EQ(b.qs[2], 3);
  std::vector<uint8_t> act(RowBytes(GgmlType::Q8_0, 256));
  QuantizeActivation(GgmlType::Q4_0, x.data(), act.data(), 256);
  std::memcpy(&b, act.data(), sizeof(b));
  EXPECT_EQ(b.qs[1], -64);  // -63.5 → even (-64)
  EXPECT_EQ(b.qs[2], 2);    // 2.5 → even (2)

  // Q8_K: iscale = -127/max (max = 127 → -1), rounding half to even.
  std::vector<uint8_t> k(RowBytes(GgmlType::Q8_K, 256));
  QuantizeActivation(GgmlType::Q4_K, x.data(), k.data(), 256);
  quant::BlockQ8_K bk;
  std::memcpy(&bk, k.data(), sizeof(bk));
  EXPECT_FLOAT_EQ(bk.d, -1.0f);
  EXPECT_EQ(bk.qs[0], -127);
  EXPECT_EQ(bk.qs[1], 64);   // 63.5 → even (64)
  EXPECT_EQ(bk.qs[2], -2);   // -2.5 → even (-2)
  EXPECT_EQ(bk.bsums[0], -127 + 64 - 2);
  EXPECT_EQ(bk.bsums[1], 0);
}

// The same values through each type: the dequantized row is close to the
// input (bounds a little above what these quantizers reach on N(0,1)), and
// quantizing the dequantized row again reproduces the same bytes.
TEST(QuantRoundTrip, ErrorBoundsAndIdempotence) {
  struct Case {
    GgmlType t;
    double max_rel_rms;
  } cases[] = {{GgmlType::F32, 0},       {GgmlType::F16, 1e-3},    {GgmlType::BF16, 5e-3},
               {GgmlType::Q8_0, 0.01},   {GgmlType::Q6_K, 0.03},   {GgmlType::Q5_0, 0.06},
               {GgmlType::Q5_K, 0.06},   {GgmlType::Q4_0, 0.12},   {GgmlType::Q4_K, 0.12},
               {GgmlType::Q3_K, 0.25},   {GgmlType::Q2_K, 0.45}};
  const int64_t n = 256 * 6;
  auto x = RandomRow(n, 7);
  for (const auto& c : cases) {
    SCOPED_TRACE(TypeName(c.t));
    auto q = Quant(c.t, x);
    auto y = Dequant(c.t, q, n);
    EXPECT_LE(RelRms(x, y), c.max_rel_rms);
    auto q2 = Quant(c.t, y);
    auto y2 = Dequant(c.t, q2, n);
    // Float and symmetric types are exactly idempotent; the affine K-quants
    // may move a value by one step when a sub-block minimum re-rounds.
    if (c.t == GgmlType::F32 || c.t == GgmlType::F16 || c.t == GgmlType::BF16 || c.t == GgmlType::Q8_0 ||
        c.t == GgmlType::Q4_0 || c.t == GgmlType::Q5_0) {
      EXPECT_EQ(q, q2);
    }
    EXPECT_LE(RelRms(y, y2), c.max_rel_rms / 2);
  }
}

TEST(QuantRoundTrip, ZeroRowsStayZero) {
  for (GgmlType t : kWeightTypes) {
    SCOPED_TRACE(TypeName(t));
    std::vector<float> x(512, 0.0f);
    auto y = Dequant(t, Quant(t, x), 512);
    for (float v : y) ASSERT_EQ(v, 0.0f);
  }
}

// Dot of dequantized weight with dequantized activation, in double.
double ExactDot(GgmlType t, const std::vector<uint8_t>& w, const std::vector<uint8_t>& a, int64_t n) {
  auto wf = Dequant(t, w, n);
  auto af = Dequant(VecDotType(t), a, n);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += double(wf[i]) * af[i];
  return s;
}

TEST(VecDot, RefMatchesDequantizedDot) {
  for (GgmlType t : kWeightTypes) {
    for (int64_t blocks : {1, 3, 11}) {
      const int64_t n = blocks * Traits(t).block_size * (Traits(t).block_size == 1 ? 37 : 1);
      SCOPED_TRACE(std::string(TypeName(t)) + " n=" + std::to_string(n));
      auto w = Quant(t, RandomRow(n, 100 + n));
      auto x = RandomRow(n, 200 + n);
      std::vector<uint8_t> a(RowBytes(VecDotType(t), n));
      QuantizeActivation(t, x.data(), a.data(), n);
      const double exact = ExactDot(t, w, a, n);
      const float ref = VecDotRef(t, w.data(), a.data(), n);
      EXPECT_NEAR(ref, exact, 1e-4 * (1 + std::fabs(exact)) * std::sqrt(double(n)));
    }
  }
}

TEST(VecDot, SimdMatchesRefAtAwkwardSizes) {
  ForEachVecDotTarget([] {
    for (GgmlType t : kWeightTypes) {
      const int64_t bs = Traits(t).block_size;
      std::vector<int64_t> sizes;
      if (bs == 1) sizes = {1, 2, 7, 8, 15, 16, 17, 31, 33, 63, 65, 255, 257, 1000};
      else sizes = {bs, 2 * bs, 3 * bs, 5 * bs, 7 * bs, 17 * bs};
      for (int64_t n : sizes) {
        // Rows aligned only as far as RowAlignment promises, not to a vector.
        for (int misalign = 0; misalign < 2; ++misalign) {
          SCOPED_TRACE(std::string(TypeName(t)) + " n=" + std::to_string(n) + " misalign=" + std::to_string(misalign));
          auto w = Quant(t, RandomRow(n, 300 + n, 0.05f));
          auto x = RandomRow(n, 400 + n);
          const size_t ws = misalign * RowAlignment(t), as = misalign * RowAlignment(VecDotType(t));
          std::vector<uint8_t> wbuf(w.size() + 4), abuf(RowBytes(VecDotType(t), n) + 4);
          std::memcpy(wbuf.data() + ws, w.data(), w.size());
          QuantizeActivation(t, x.data(), abuf.data() + as, n);
          const float ref = VecDotRef(t, wbuf.data() + ws, abuf.data() + as, n);
          const float fast = VecDot(t, wbuf.data() + ws, abuf.data() + as, n);
          EXPECT_NEAR(fast, ref, 2e-5 * std::sqrt(double(n)) * (1 + std::fabs(ref))) << VecDotTarget();
        }
      }
    }
  });
}

// BF16 sums reproduce ggml's AVX512-BF16 order exactly, so the AVX2 path must
// equal the scalar twin bit for bit, for one row and for rows of a batch.
TEST(VecDot, Bf16OrdersAreBitExact) {
  for (int64_t n : {32, 64, 96, 256, 768, 4096, 40, 100}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    auto w = Quant(GgmlType::BF16, RandomRow(n, 500 + n));
    auto x = RandomRow(n, 600 + n);
    std::vector<uint8_t> a(RowBytes(GgmlType::BF16, n));
    QuantizeActivation(GgmlType::BF16, x.data(), a.data(), n);
    const float row = VecDotRef(GgmlType::BF16, w.data(), a.data(), n);
    const float batch = VecDotBatchedRef(GgmlType::BF16, w.data(), a.data(), n);
    EXPECT_EQ(VecDot(GgmlType::BF16, w.data(), a.data(), n), row) << VecDotTarget();
    EXPECT_EQ(VecDotBatched(GgmlType::BF16, w.data(), a.data(), n), batch) << VecDotTarget();
    EXPECT_NEAR(batch, row, 1e-5 * std::sqrt(double(n)) * (1 + std::fabs(row)));
  }
  // Other types have one order.
  auto w = Quant(GgmlType::Q4_0, RandomRow(256, 7));
  std::vector<uint8_t> a(RowBytes(GgmlType::Q8_0, 256));
  QuantizeActivation(GgmlType::Q4_0, RandomRow(256, 8).data(), a.data(), 256);
  EXPECT_EQ(VecDotBatched(GgmlType::Q4_0, w.data(), a.data(), 256), VecDot(GgmlType::Q4_0, w.data(), a.data(), 256));
}

// The order is observable. Batch order, lane 0: step 1 adds 1 (element 0);
// step 2 adds the odd product -1 (element 33) before the even one 2^-24
// (element 32): (1 - 1) + 2^-24 = 2^-24, where even-first would give
// (1 + 2^-24) - 1 = 0 (1 + 2^-24 rounds to 1).
TEST(VecDot, Bf16LaneOrderOddFirst) {
  const int64_t n = 64;
  std::vector<uint16_t> w(n, 0), a(n, Fp32ToBf16(1.0f));
  w[0] = Fp32ToBf16(1.0f);
  w[32] = Fp32ToBf16(std::ldexp(1.0f, -24));
  w[33] = Fp32ToBf16(-1.0f);
  const float want = std::ldexp(1.0f, -24);
  EXPECT_EQ(VecDotBatchedRef(GgmlType::BF16, w.data(), a.data(), n), want);
  EXPECT_EQ(VecDotBatched(GgmlType::BF16, w.data(), a.data(), n), want);
  EXPECT_EQ(VecDotRef(GgmlType::BF16, w.data(), a.data(), n), want);
  EXPECT_EQ(VecDot(GgmlType::BF16, w.data(), a.data(), n), want);
}

// A tile of dots equals VecDotBatched per output, bit for bit, at every tile
// edge (rows and activations not multiples of the kernel's tile), with rows
// and activations scattered and aligned only as far as RowAlignment promises,
// and writes nothing else. Types
// without a tile kernel return false and leave the output alone.
void CheckTile(GgmlType t, int64_t n) {
  const size_t w_bytes = RowBytes(t, n) + 12, a_bytes = RowBytes(VecDotType(t), n) + 20;
  const size_t w_align = RowAlignment(t), a_align = RowAlignment(VecDotType(t));
  for (int misalign = 0; misalign < 2; ++misalign) {
    // Up to 13 rows and 9 activations, each at its own offset.
    std::vector<uint8_t> wbuf(13 * w_bytes), abuf(9 * a_bytes);
    std::vector<const void*> rows(13), acts(9);
    for (int i = 0; i < 13; ++i) {
      uint8_t* p = wbuf.data() + i * w_bytes + (misalign ? (1 + i % 3) * w_align : 0);
      auto q = Quant(t, RandomRow(n, 700 + 31 * i, 0.05f));
      std::memcpy(p, q.data(), q.size());
      rows[12 - i] = p;  // not in memory order
    }
    for (int j = 0; j < 9; ++j) {
      uint8_t* p = abuf.data() + j * a_bytes + (misalign ? (1 + j % 5) * a_align : 0);
      QuantizeActivation(t, RandomRow(n, 900 + 17 * j).data(), p, n);
      acts[j] = p;
    }
    for (int n_rows : {0, 1, 2, 3, 4, 5, 7, 8, 9, 13}) {
      for (int n_acts : {0, 1, 2, 3, 4, 5, 9}) {
        SCOPED_TRACE(std::string(TypeName(t)) + " n " + std::to_string(n) + " rows " + std::to_string(n_rows) +
                     " acts " + std::to_string(n_acts) + " misalign " + std::to_string(misalign));
        const int64_t stride = n_rows + 2;  // a gap after each activation's outputs
        std::vector<float> out(stride * n_acts + 1, 12345.0f);
        const bool tiled = VecDotTile(t, rows.data(), n_rows, acts.data(), n_acts, n, out.data(), stride);
        for (int j = 0; j < n_acts; ++j) {
          for (int i = 0; i < stride; ++i) {
            const float got = out[j * stride + i];
            if (!tiled || i >= n_rows) {
              ASSERT_EQ(got, 12345.0f) << "row " << i << " act " << j;
            } else {
              ASSERT_EQ(got, VecDotBatched(t, rows[i], acts[j], n))
                  << "row " << i << " act " << j << " " << VecDotTarget();
            }
          }
        }
        ASSERT_EQ(out.back(), 12345.0f);
      }
    }
  }
}

// Every target: the AVX-512 tiles equal the AVX2 dots bit for bit, the AVX2
// tiles too, and the scalar target has no tiles.
TEST(VecDot, TileIsBitExactWithBatchedDots) {
  ForEachVecDotTarget([] {
    for (GgmlType t : kWeightTypes) {
      const int64_t bs = Traits(t).block_size;
      if (bs == 1) {
        // Float rows also end in a lone 8-element chunk and single elements.
        for (int64_t n : {448, 461, 5}) CheckTile(t, n);
      } else {
        CheckTile(t, bs * (bs == 256 ? 3 : 7));
      }
    }
  });
}

TEST(VecDot, TileKernelsExistForThePromptTypes) {
  ForEachVecDotTarget([] {
    if (std::string(VecDotTarget()) == "scalar") return;
    std::vector<uint8_t> buf(1024);
    const void* p = buf.data();
    float out = 0;
    for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q4_K,
                       GgmlType::Q6_K}) {
      SCOPED_TRACE(TypeName(t));
      EXPECT_TRUE(VecDotTile(t, &p, 0, &p, 0, 256, &out, 1));
    }
    EXPECT_FALSE(VecDotTile(GgmlType::BF16, &p, 0, &p, 0, 256, &out, 1));  // the batch order is its own
    EXPECT_THROW(VecDotTile(GgmlType::Q4_K, &p, 0, &p, 0, 128, &out, 1), Error);
  });
}

TEST(VecDot, TargetsCanBeForced) {
  const std::vector<std::string> targets = VecDotTargets();
  ASSERT_FALSE(targets.empty());
  EXPECT_EQ(targets.back(), "scalar");
  const std::string best = VecDotTarget();
  EXPECT_EQ(best, targets.front());
  ForceVecDotTarget("scalar");
  EXPECT_STREQ(VecDotTarget(), "scalar");
  std::vector<uint8_t> buf(1024);
  const void* p = buf.data();
  float out = 0;
  EXPECT_FALSE(VecDotTile(GgmlType::Q4_0, &p, 0, &p, 0, 256, &out, 1));
  try {
    ForceVecDotTarget("NEON9");
    ADD_FAILURE() << "an unknown target was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("NEON9"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("scalar"), std::string::npos) << e.what();
  }
  EXPECT_STREQ(VecDotTarget(), "scalar");  // a refused name changes nothing
  ForceVecDotTarget("");
  EXPECT_EQ(std::string(VecDotTarget()), best);
}

TEST(VecDot, RejectsBadSizesAndTypes) {
  std::vector<uint8_t> buf(1024);
  EXPECT_THROW(VecDot(GgmlType::Q4_0, buf.data(), buf.data(), 33), Error);
  EXPECT_THROW(VecDotRef(GgmlType::Q6_K, buf.data(), buf.data(), 128), Error);
  EXPECT_THROW(VecDot(GgmlType::Q8_K, buf.data(), buf.data(), 256), Error);
}

}  // namespace
}  // namespace bhasa::native
