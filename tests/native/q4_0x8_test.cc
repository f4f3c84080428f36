// Q4_0 in the order of ggml's repacked (block_q4_0x8) kernels: the dot is
// one FMA of each block's exact integer sum, the tiles equal it on every
// target, and the matmuls use it exactly for row counts that are multiples
// of 8 (vec_dot's order otherwise).
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include "backends/native/ggml_types.h"
#include "backends/native/kernels.h"
#include "common/error.h"
#include "tests/native/vecdot_targets.h"

namespace bhasa::native {
namespace {

std::vector<float> Random(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<uint8_t> QuantRows(GgmlType t, int64_t rows, int64_t n, uint32_t seed) {
  const auto f = Random(rows * n, seed, 0.05f);
  std::vector<uint8_t> q(RowBytes(t, n) * rows);
  for (int64_t r = 0; r < rows; ++r) QuantizeRow(t, f.data() + r * n, q.data() + r * RowBytes(t, n), n);
  return q;
}

// The formula spelled out on the raw blocks (18 bytes: fp16 d, 16 bytes of
// nibbles; Q8_0: fp16 d, 32 signed bytes).
float Formula(const uint8_t* w, const uint8_t* a, int64_t n) {
  float acc = 0;
  for (int64_t b = 0; b < n / 32; ++b, w += 18, a += 34) {
    uint16_t dw, da;
    std::memcpy(&dw, w, 2);
    std::memcpy(&da, a, 2);
    int sum = 0;
    for (int j = 0; j < 16; ++j) {
      sum += ((w[2 + j] & 0x0F) - 8) * static_cast<int8_t>(a[2 + j]);
      sum += ((w[2 + j] >> 4) - 8) * static_cast<int8_t>(a[2 + 16 + j]);
    }
    acc = std::fma(static_cast<float>(sum), Fp16ToFp32(dw) * Fp16ToFp32(da), acc);
  }
  return acc;
}

TEST(Q4_0x8, DotIsOneFmaPerBlockAndDiffersFromVecDotsOrder) {
  const int64_t n = 4096;
  int differs = 0;
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    const auto w = QuantRows(GgmlType::Q4_0, 1, n, seed);
    std::vector<uint8_t> a(RowBytes(GgmlType::Q8_0, n));
    QuantizeActivation(GgmlType::Q4_0, Random(n, 100 + seed, 1.0f).data(), a.data(), n);
    const float got = VecDotQ4_0x8(w.data(), a.data(), n);
    EXPECT_EQ(got, Formula(w.data(), a.data(), n));
    differs += got != VecDot(GgmlType::Q4_0, w.data(), a.data(), n);
  }
  // The two orders are different sums (else the matmuls would not need both).
  EXPECT_GT(differs, 0);
}

TEST(Q4_0x8, TileEqualsDotOnEveryTarget) {
  ForEachVecDotTarget([] {
    for (int64_t n : {32, 96, 512}) {
      const auto w = QuantRows(GgmlType::Q4_0, 19, n, static_cast<uint32_t>(n));
      const size_t wb = RowBytes(GgmlType::Q4_0, n), ab = RowBytes(GgmlType::Q8_0, n);
      constexpr int kMaxActs = 64;  // a prompt's token tile
      std::vector<uint8_t> a(ab * kMaxActs);
      const auto x = Random(kMaxActs * n, 7, 1.0f);
      std::vector<const void*> rows(19), acts(kMaxActs);
      for (int i = 0; i < 19; ++i) rows[i] = w.data() + (18 - i) * wb;  // not in memory order
      for (int j = 0; j < kMaxActs; ++j) {
        QuantizeActivation(GgmlType::Q4_0, x.data() + j * n, a.data() + j * ab, n);
        acts[j] = a.data() + j * ab;
      }
      for (int n_rows : {0, 1, 3, 7, 8, 9, 16, 19}) {
        for (int n_acts : {0, 1, 2, 3, 5, 8, 9, 13, 16, 17, 64}) {
          SCOPED_TRACE("n " + std::to_string(n) + " rows " + std::to_string(n_rows) + " acts " +
                       std::to_string(n_acts));
          const int64_t stride = n_rows + 2;  // a gap after each activation's outputs
          std::vector<float> out(stride * n_acts + 1, 12345.0f);
          VecDotTileQ4_0x8(rows.data(), n_rows, acts.data(), n_acts, n, out.data(), stride);
          for (int j = 0; j < n_acts; ++j)
            for (int i = 0; i < stride; ++i)
              ASSERT_EQ(out[j * stride + i], i < n_rows ? VecDotQ4_0x8(rows[i], acts[j], n) : 12345.0f)
                  << "row " << i << " act " << j;
          ASSERT_EQ(out.back(), 12345.0f);
        }
      }
    }
  });
}

// The few-activation (generation) kernels: every count they take, rows in
// odd groups at scattered addresses, and both ends of the integer range
// (nibbles 0 and 15 against bytes -128 and 127) where an int16 partial sum
// would wrap if it held more than it does.
TEST(Q4_0x8, GemvCountsAndExtremesEqualDot) {
  const int64_t n = 256, nb = n / 32;
  const size_t wb = RowBytes(GgmlType::Q4_0, n), ab = RowBytes(GgmlType::Q8_0, n);
  const int kRows = 21, kActs = 8;
  auto w = QuantRows(GgmlType::Q4_0, kRows, n, 5);
  std::vector<uint8_t> a(ab * kActs);
  const auto x = Random(kActs * n, 9, 1.0f);
  for (int j = 0; j < kActs; ++j) QuantizeActivation(GgmlType::Q4_0, x.data() + j * n, a.data() + j * ab, n);
  // Rows 0-2: all nibbles 15, all 0, alternating; activations 0-1: all -128, all 127.
  for (int64_t b = 0; b < nb; ++b) {
    std::memset(w.data() + 0 * wb + b * 18 + 2, 0xFF, 16);
    std::memset(w.data() + 1 * wb + b * 18 + 2, 0x00, 16);
    std::memset(w.data() + 2 * wb + b * 18 + 2, 0xF0, 16);
    std::memset(a.data() + 0 * ab + b * 34 + 2, 0x80, 32);
    std::memset(a.data() + 1 * ab + b * 34 + 2, 0x7F, 32);
  }
  std::vector<const void*> rows(kRows), acts(kActs);
  for (int i = 0; i < kRows; ++i) rows[i] = w.data() + ((i * 8) % kRows) * wb;  // scattered, each once
  for (int j = 0; j < kActs; ++j) acts[j] = a.data() + j * ab;
  ForEachVecDotTarget([&] {
    for (int n_rows : {3, 8, 13, 21}) {
      for (int n_acts = 1; n_acts <= kActs; ++n_acts) {
        SCOPED_TRACE("rows " + std::to_string(n_rows) + " acts " + std::to_string(n_acts));
        std::vector<float> out(n_rows * n_acts);
        VecDotTileQ4_0x8(rows.data(), n_rows, acts.data(), n_acts, n, out.data(), n_rows);
        for (int j = 0; j < n_acts; ++j)
          for (int i = 0; i < n_rows; ++i) {
            const float want = Formula(static_cast<const uint8_t*>(rows[i]), a.data() + j * ab, n);
            ASSERT_EQ(out[j * n_rows + i], want) << "row " << i << " act " << j;
          }
      }
    }
  });
}

TEST(Q4_0x8, OnlyQ4_0WithRowsMultipleOf8) {
  EXPECT_TRUE(UsesInterleavedQ4_0(GgmlType::Q4_0, 8));
  EXPECT_TRUE(UsesInterleavedQ4_0(GgmlType::Q4_0, 4096));
  EXPECT_FALSE(UsesInterleavedQ4_0(GgmlType::Q4_0, 12));
  EXPECT_FALSE(UsesInterleavedQ4_0(GgmlType::Q5_0, 64));
  EXPECT_FALSE(UsesInterleavedQ4_0(GgmlType::Q8_0, 64));
  std::vector<uint8_t> buf(64);
  const void* p = buf.data();
  float out;
  EXPECT_THROW(VecDotQ4_0x8(p, p, 33), Error);
  EXPECT_THROW(VecDotTileQ4_0x8(&p, 1, &p, 1, 48, &out, 1), Error);
}

// Both kernel tables: rows a multiple of 8 take the interleaved sum for one
// token and for a prompt; other row counts keep VecDot / VecDotBatched.
TEST(Q4_0x8, MatmulsPickTheSumByRowCount) {
  tbb::task_arena arena(2);
  arena.execute([] {
    ForEachVecDotTarget([] {
      const int64_t cols = 256;
      for (int64_t rows : {16, 12, 72}) {
        auto bytes = QuantRows(GgmlType::Q4_0, rows, cols, static_cast<uint32_t>(rows));
        TensorInfo w;
        w.name = "w";
        w.type = GgmlType::Q4_0;
        w.ne = {cols, rows};
        w.data = bytes.data();
        w.bytes = bytes.size();
        for (int64_t n_tok : {1, 3, 4, 70}) {
          SCOPED_TRACE("rows " + std::to_string(rows) + " tokens " + std::to_string(n_tok));
          const auto x = Random(n_tok * cols, 3 + static_cast<uint32_t>(n_tok), 1.0f);
          std::vector<float> cpu(rows * n_tok), ref(rows * n_tok);
          CpuKernels().matmul(w, x.data(), n_tok, cpu.data());
          RefKernels().matmul(w, x.data(), n_tok, ref.data());
          std::vector<uint8_t> act(RowBytes(GgmlType::Q8_0, cols));
          for (int64_t t = 0; t < n_tok; ++t) {
            QuantizeActivation(GgmlType::Q4_0, x.data() + t * cols, act.data(), cols);
            for (int64_t r = 0; r < rows; ++r) {
              const float want = rows % 8 == 0 ? VecDotQ4_0x8(w.Row(r), act.data(), cols)
                                 : n_tok == 1  ? VecDot(GgmlType::Q4_0, w.Row(r), act.data(), cols)
                                               : VecDotBatched(GgmlType::Q4_0, w.Row(r), act.data(), cols);
              ASSERT_EQ(cpu[t * rows + r], want) << "cpu token " << t << " row " << r;
              if (rows % 8 == 0) {
                ASSERT_EQ(ref[t * rows + r], want) << "ref token " << t << " row " << r;
              }
            }
          }
        }
      }
    });
  });
}

}  // namespace
}  // namespace bhasa::native
