// The AMX-INT8 tiles against their scalar twins, bit for bit: the
// interleaved Q4_0 sum (VecDotQ4_0x8) at sizes around the 16 x 16 tiles and
// the 4-block unroll, Q4_K and Q6_K (the scalar target's dots); the matmul
// that routes prompts to them; and the fallbacks.
// Skipped where the CPU lacks AMX or Linux refuses the tile data.
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include "backends/native/ggml_types.h"
#include "backends/native/kernels.h"
#include "backends/native/quant_impl.h"

namespace bhasa::native {
namespace {

bool AmxAvailable() {
  for (const std::string& t : VecDotTargets())
    if (t == "AMX") return true;
  return false;
}

#define SKIP_WITHOUT_AMX()                                                                     \
  if (!AmxAvailable()) GTEST_SKIP() << "this CPU has no AMX-INT8, or Linux refused its tile data"

std::vector<float> Random(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<uint8_t> Quantized(GgmlType t, int64_t rows, int64_t n, uint32_t seed, bool activation) {
  const auto f = Random(rows * n, seed, activation ? 1.0f : 0.05f);
  const size_t rb = RowBytes(activation ? VecDotType(t) : t, n);
  std::vector<uint8_t> q(rb * rows);
  for (int64_t r = 0; r < rows; ++r) {
    if (activation)
      QuantizeActivation(t, f.data() + r * n, q.data() + r * rb, n);
    else
      QuantizeRow(t, f.data() + r * n, q.data() + r * rb, n);
  }
  return q;
}

uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Forces AMX for one scope.
struct ForceAmx {
  ForceAmx() { ForceVecDotTarget("AMX"); }
  ~ForceAmx() { ForceVecDotTarget(""); }
};

TEST(Amx, TileEqualsScalarSumAtAwkwardSizes) {
  SKIP_WITHOUT_AMX();
  ForceAmx amx;
  // Blocks: 1, 3, 4, 5 and 65 (the 4-block unroll and its remainder).
  for (int64_t n : {32, 96, 128, 160, 2080}) {
    for (int n_rows : {1, 15, 16, 17, 40}) {
      for (int n_acts : {16, 17, 31, 50}) {
        SCOPED_TRACE("n " + std::to_string(n) + " rows " + std::to_string(n_rows) + " acts " +
                     std::to_string(n_acts));
        const uint32_t seed = static_cast<uint32_t>(n * 31 + n_rows * 7 + n_acts);
        const auto w = Quantized(GgmlType::Q4_0, n_rows, n, seed, false);
        const auto a = Quantized(GgmlType::Q4_0, n_acts, n, seed + 1, true);
        const size_t wb = RowBytes(GgmlType::Q4_0, n), ab = RowBytes(GgmlType::Q8_0, n);
        std::vector<const void*> rows(n_rows), acts(n_acts);
        for (int r = 0; r < n_rows; ++r) rows[r] = w.data() + (n_rows - 1 - r) * wb;  // not in memory order
        for (int t = 0; t < n_acts; ++t) acts[t] = a.data() + t * ab;
        const int64_t stride = n_rows + 3;  // columns past n_rows must stay untouched
        std::vector<float> out(n_acts * stride, -7.5f);
        ASSERT_TRUE(quant::AmxTileQ4_0x8(rows.data(), n_rows, acts.data(), n_acts, n, out.data(), stride));
        for (int t = 0; t < n_acts; ++t) {
          for (int r = 0; r < n_rows; ++r)
            ASSERT_EQ(Bits(out[t * stride + r]), Bits(VecDotQ4_0x8(rows[r], acts[t], n))) << t << " " << r;
          for (int64_t r = n_rows; r < stride; ++r) ASSERT_EQ(out[t * stride + r], -7.5f);
        }
      }
    }
  }
}

// Large block sums: all-extreme values (|w| = 8, |a| = 127) reach the int32
// sums' largest magnitudes; still the scalar bits.
TEST(Amx, ExtremeValuesEqualScalarSum) {
  SKIP_WITHOUT_AMX();
  ForceAmx amx;
  const int64_t n = 256;
  const int n_rows = 16, n_acts = 16;
  std::vector<float> wf(n_rows * n), af(n_acts * n);
  for (size_t i = 0; i < wf.size(); ++i) wf[i] = (i % 3 == 0) ? 1.0f : -1.0f;
  for (size_t i = 0; i < af.size(); ++i) af[i] = (i % 5 == 0) ? -2.0f : 2.0f;
  const size_t wb = RowBytes(GgmlType::Q4_0, n), ab = RowBytes(GgmlType::Q8_0, n);
  std::vector<uint8_t> w(wb * n_rows), a(ab * n_acts);
  std::vector<const void*> rows(n_rows), acts(n_acts);
  for (int r = 0; r < n_rows; ++r) {
    QuantizeRow(GgmlType::Q4_0, wf.data() + r * n, w.data() + r * wb, n);
    rows[r] = w.data() + r * wb;
  }
  for (int t = 0; t < n_acts; ++t) {
    QuantizeActivation(GgmlType::Q4_0, af.data() + t * n, a.data() + t * ab, n);
    acts[t] = a.data() + t * ab;
  }
  std::vector<float> out(n_rows * n_acts);
  ASSERT_TRUE(quant::AmxTileQ4_0x8(rows.data(), n_rows, acts.data(), n_acts, n, out.data(), n_rows));
  for (int t = 0; t < n_acts; ++t)
    for (int r = 0; r < n_rows; ++r) ASSERT_EQ(Bits(out[t * n_rows + r]), Bits(VecDotQ4_0x8(rows[r], acts[t], n)));
}

// Q4_K and Q6_K: each super-block's integer total from the tiles, then the
// dot's float step; against the scalar target's dots.
TEST(Amx, KQuantTilesEqualScalarDots) {
  SKIP_WITHOUT_AMX();
  for (GgmlType type : {GgmlType::Q4_K, GgmlType::Q6_K}) {
    for (int64_t n : {256, 512, 1280}) {
      for (int n_rows : {1, 17, 40}) {
        for (int n_acts : {16, 23}) {
          SCOPED_TRACE(std::string(TypeName(type)) + " n " + std::to_string(n) + " rows " + std::to_string(n_rows) +
                       " acts " + std::to_string(n_acts));
          const uint32_t seed = static_cast<uint32_t>(n + n_rows * 5 + n_acts);
          const auto w = Quantized(type, n_rows, n, seed, false);
          const auto a = Quantized(type, n_acts, n, seed + 1, true);
          const size_t wb = RowBytes(type, n), ab = RowBytes(GgmlType::Q8_K, n);
          std::vector<const void*> rows(n_rows), acts(n_acts);
          for (int r = 0; r < n_rows; ++r) rows[r] = w.data() + (n_rows - 1 - r) * wb;
          for (int t = 0; t < n_acts; ++t) acts[t] = a.data() + t * ab;
          ForceVecDotTarget("scalar");
          std::vector<float> want(n_acts * n_rows);
          for (int t = 0; t < n_acts; ++t)
            for (int r = 0; r < n_rows; ++r) want[t * n_rows + r] = VecDotBatched(type, rows[r], acts[t], n);
          ForceAmx amx;
          const int64_t stride = n_rows + 3;
          std::vector<float> out(n_acts * stride, -7.5f);
          ASSERT_TRUE(quant::AmxTileK(type, rows.data(), n_rows, acts.data(), n_acts, n, out.data(), stride));
          for (int t = 0; t < n_acts; ++t) {
            for (int r = 0; r < n_rows; ++r)
              ASSERT_EQ(Bits(out[t * stride + r]), Bits(want[t * n_rows + r])) << t << " " << r;
            for (int64_t r = n_rows; r < stride; ++r) ASSERT_EQ(out[t * stride + r], -7.5f);
          }
        }
      }
    }
  }
}

// Q6_K's extreme products: scale -128 times value -32 is 4096, whose high
// byte (64) is the largest the split makes; against the scalar dot.
TEST(Amx, Q6KExtremeProductsEqualScalarDot) {
  SKIP_WITHOUT_AMX();
  const int64_t n = 512;
  const int n_rows = 16, n_acts = 16;
  const size_t wb = RowBytes(GgmlType::Q6_K, n), ab = RowBytes(GgmlType::Q8_K, n);
  // BlockQ6_K: ql (128 bytes), qh (64), scales (16, int8), fp16 d. Zero bits
  // are the value -32.
  std::vector<uint8_t> w(wb * n_rows, 0);
  for (int b = 0; b < n_rows * n / 256; ++b) {
    uint8_t* block = w.data() + b * 210;
    for (int j = 0; j < 16; ++j) block[192 + j] = (b + j) % 3 ? 0x80 : 0x7F;  // -128 or 127
    block[208] = 0x00, block[209] = 0x3C;                                      // 1.0
  }
  // BlockQ8_K: float d, 256 int8, 16 int16 sums of 16.
  std::vector<uint8_t> a(ab * n_acts, 0);
  for (int b = 0; b < n_acts * n / 256; ++b) {
    uint8_t* block = a.data() + b * 292;
    const float d = 0.5f;
    std::memcpy(block, &d, 4);
    for (int k = 0; k < 256; ++k) block[4 + k] = static_cast<uint8_t>((k + b) % 2 ? 127 : -128);
    for (int j = 0; j < 16; ++j) {
      int16_t sum = 0;
      for (int k = 0; k < 16; ++k) sum = static_cast<int16_t>(sum + static_cast<int8_t>(block[4 + 16 * j + k]));
      std::memcpy(block + 260 + 2 * j, &sum, 2);
    }
  }
  std::vector<const void*> rows(n_rows), acts(n_acts);
  for (int r = 0; r < n_rows; ++r) rows[r] = w.data() + r * wb;
  for (int t = 0; t < n_acts; ++t) acts[t] = a.data() + t * ab;
  ForceVecDotTarget("scalar");
  std::vector<float> want(n_acts * n_rows);
  for (int t = 0; t < n_acts; ++t)
    for (int r = 0; r < n_rows; ++r) want[t * n_rows + r] = VecDotBatched(GgmlType::Q6_K, rows[r], acts[t], n);
  ForceAmx amx;
  std::vector<float> out(n_acts * n_rows);
  ASSERT_TRUE(quant::AmxTileK(GgmlType::Q6_K, rows.data(), n_rows, acts.data(), n_acts, n, out.data(), n_rows));
  for (int i = 0; i < n_acts * n_rows; ++i) ASSERT_EQ(Bits(out[i]), Bits(want[i])) << i;
}

// Below 16 activations, or with activations not at one stride, the AMX
// target runs the AVX-512 tiles: same bits, and AmxTileQ4_0x8 declines.
TEST(Amx, DeclinesFewOrScatteredActivations) {
  SKIP_WITHOUT_AMX();
  ForceAmx amx;
  const int64_t n = 160;
  const int n_rows = 24;
  const auto w = Quantized(GgmlType::Q4_0, n_rows, n, 3, false);
  const auto a = Quantized(GgmlType::Q4_0, 40, n, 4, true);
  const size_t wb = RowBytes(GgmlType::Q4_0, n), ab = RowBytes(GgmlType::Q8_0, n);
  std::vector<const void*> rows(n_rows);
  for (int r = 0; r < n_rows; ++r) rows[r] = w.data() + r * wb;
  std::vector<const void*> few(15), scattered(20);
  for (int t = 0; t < 15; ++t) few[t] = a.data() + t * ab;
  for (int t = 0; t < 20; ++t) scattered[t] = a.data() + (t < 10 ? t : t + 5) * ab;
  for (const auto* acts : {&few, &scattered}) {
    const int n_acts = static_cast<int>(acts->size());
    std::vector<float> out(n_acts * n_rows);
    EXPECT_FALSE(quant::AmxTileQ4_0x8(rows.data(), n_rows, acts->data(), n_acts, n, out.data(), n_rows));
    VecDotTileQ4_0x8(rows.data(), n_rows, acts->data(), n_acts, n, out.data(), n_rows);
    for (int t = 0; t < n_acts; ++t)
      for (int r = 0; r < n_rows; ++r)
        ASSERT_EQ(Bits(out[t * n_rows + r]), Bits(VecDotQ4_0x8(rows[r], (*acts)[t], n))) << t << " " << r;
  }
}

// The CPU matmul sends prompts of interleaved Q4_0, Q4_K and Q6_K matrices
// through the tiles (32 rows and all tokens per call); every output is still
// the scalar sum, for row counts that end in half a tile and token counts
// around 16.
TEST(Amx, MatmulEqualsScalarSum) {
  SKIP_WITHOUT_AMX();
  tbb::task_arena arena(2);
  arena.execute([] {
    for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q4_K, GgmlType::Q6_K}) {
      const int64_t cols = type == GgmlType::Q4_0 ? 7 * 32 : 3 * 256;
      for (int64_t rows : {8, 40, 96}) {
        const auto w = Quantized(type, rows, cols, static_cast<uint32_t>(rows), false);
        TensorInfo info;
        info.name = "w";
        info.type = type;
        info.ne = {cols, rows};
        info.data = w.data();
        info.bytes = w.size();
        for (int64_t n_tok : {15, 16, 17, 64, 77}) {
          SCOPED_TRACE(std::string(TypeName(type)) + " rows " + std::to_string(rows) + " tokens " +
                       std::to_string(n_tok));
          const auto x = Random(n_tok * cols, static_cast<uint32_t>(n_tok), 1.0f);
          ForceVecDotTarget("scalar");
          std::vector<float> want(rows * n_tok);
          CpuKernels().matmul(info, x.data(), n_tok, want.data());
          ForceAmx amx;
          std::vector<float> got(rows * n_tok + 1, 12345.0f);  // a sentinel past the end
          CpuKernels().matmul(info, x.data(), n_tok, got.data());
          ASSERT_EQ(got.back(), 12345.0f);
          for (int64_t i = 0; i < rows * n_tok; ++i) ASSERT_EQ(Bits(got[i]), Bits(want[i])) << i;
        }
      }
    }
  });
}

TEST(Amx, ForcedByNameInAnyCase) {
  SKIP_WITHOUT_AMX();
  ForceVecDotTarget("amx");
  EXPECT_STREQ(VecDotTarget(), "AMX");
  ForceVecDotTarget("");
  EXPECT_STREQ(VecDotTarget(), "AMX");  // the best target on this CPU
}

}  // namespace
}  // namespace bhasa::native
