// CpuKernels().matmul against the dots it is defined by, on every SIMD target:
// one token is VecDot per output, two or more VecDotBatched, bit for bit, at
// token counts around the tiles' edges and row counts that are not multiples
// of a tile; and the forced scalar target against RefKernels.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include "backends/native/ggml_types.h"
#include "backends/native/kernels.h"
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

struct Weight {
  std::vector<uint8_t> bytes;
  TensorInfo info;
  Weight(GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
    const auto f = Random(rows * cols, seed, 0.5f);
    const size_t rb = RowBytes(type, cols);
    bytes.resize(rb * rows);
    for (int64_t r = 0; r < rows; ++r) QuantizeRow(type, f.data() + r * cols, bytes.data() + r * rb, cols);
    info.name = "w";
    info.type = type;
    info.ne = {cols, rows};
    info.data = bytes.data();
    info.bytes = bytes.size();
  }
};

const GgmlType kTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
                           GgmlType::Q5_0, GgmlType::Q4_K, GgmlType::Q6_K, GgmlType::Q3_K};

// Columns: two super-blocks or seven legacy blocks; float rows also end in a
// lone 8-element chunk and single elements (cols not a multiple of 16).
int64_t Cols(GgmlType type) {
  const int64_t bs = Traits(type).block_size;
  return bs == 1 ? 461 : bs == 256 ? 512 : 7 * bs;
}

TEST(CpuMatmul, BitExactWithDotsOnEveryTarget) {
  tbb::task_arena arena(2);
  arena.execute([] {
    ForEachVecDotTarget([] {
      for (GgmlType type : kTypes) {
        const int64_t cols = Cols(type);
        for (int64_t rows : {1, 9, 67}) {
          Weight w(type, rows, cols, static_cast<uint32_t>(rows * 13 + cols));
          for (int64_t n_tok : {1, 2, 3, 4, 5, 6, 7, 64, 65}) {
            SCOPED_TRACE(std::string(TypeName(type)) + " rows " + std::to_string(rows) + " tokens " +
                         std::to_string(n_tok));
            const auto x = Random(n_tok * cols, 5 + static_cast<uint32_t>(n_tok), 1.0f);
            std::vector<float> got(rows * n_tok + 1, 12345.0f);  // a sentinel past the end
            CpuKernels().matmul(w.info, x.data(), n_tok, got.data());
            ASSERT_EQ(got.back(), 12345.0f);
            std::vector<uint8_t> act(RowBytes(VecDotType(type), cols));
            for (int64_t t = 0; t < n_tok; ++t) {
              QuantizeActivation(type, x.data() + t * cols, act.data(), cols);
              for (int64_t r = 0; r < rows; ++r) {
                const float want = n_tok == 1 ? VecDot(type, w.info.Row(r), act.data(), cols)
                                              : VecDotBatched(type, w.info.Row(r), act.data(), cols);
                ASSERT_EQ(got[t * rows + r], want) << "token " << t << " row " << r;
              }
            }
          }
        }
      }
    });
  });
}

// Long rows take other paths: F16 past 2048 columns keeps its rows in f16
// (shorter ones are converted to f32 first), and Q8_0's prepared blocks
// span many blocks. Same sums either way.
TEST(CpuMatmul, LongRowsBitExactWithDots) {
  tbb::task_arena arena(2);
  arena.execute([] {
    ForEachVecDotTarget([] {
      for (GgmlType type : {GgmlType::F16, GgmlType::Q8_0}) {
        for (int64_t cols : {2048, 2048 + 32 + 9 * (type == GgmlType::F16)}) {
          SCOPED_TRACE(std::string(TypeName(type)) + " cols " + std::to_string(cols));
          const int64_t rows = 13, n_tok = 9;
          Weight w(type, rows, cols, 7);
          const auto x = Random(n_tok * cols, 11, 1.0f);
          std::vector<float> got(rows * n_tok);
          CpuKernels().matmul(w.info, x.data(), n_tok, got.data());
          std::vector<uint8_t> act(RowBytes(VecDotType(type), cols));
          for (int64_t t = 0; t < n_tok; ++t) {
            QuantizeActivation(type, x.data() + t * cols, act.data(), cols);
            for (int64_t r = 0; r < rows; ++r)
              ASSERT_EQ(got[t * rows + r], VecDotBatched(type, w.info.Row(r), act.data(), cols)) << t << " " << r;
          }
        }
      }
    });
  });
}

// The scalar target is the reference table itself.
TEST(CpuMatmul, ScalarTargetEqualsReferenceTable) {
  ForceVecDotTarget("scalar");
  for (GgmlType type : kTypes) {
    SCOPED_TRACE(TypeName(type));
    const int64_t cols = Cols(type);
    Weight w(type, 19, cols, 3);
    for (int64_t n_tok : {1, 5}) {
      const auto x = Random(n_tok * cols, 17, 1.0f);
      std::vector<float> want(19 * n_tok), got(19 * n_tok);
      RefKernels().matmul(w.info, x.data(), n_tok, want.data());
      CpuKernels().matmul(w.info, x.data(), n_tok, got.data());
      EXPECT_EQ(got, want) << n_tok << " tokens";
    }
  }
  ForceVecDotTarget("");
}

}  // namespace
}  // namespace bhasa::native
