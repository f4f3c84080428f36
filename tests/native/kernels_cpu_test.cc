// The fast CPU kernel table against the scalar reference table (and the
// reference against hand-computed values), on random inputs at awkward sizes,
// for every Highway target this machine supports.
#include <algorithm>
#include <bit>
#include <cmath>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include "backends/native/cpu/attention_score.h"
#include "backends/native/cpu/simd_ops.h"
#include "backends/native/cpu/ggml_exp.h"
#include "backends/native/cpu/rope_cache.h"
#include "backends/native/kernels.h"
#include "backends/native/quant_impl.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

std::vector<float> Random(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// A weight matrix of `type` quantized from random floats, kept alive with its bytes.
struct Weight {
  std::vector<uint8_t> bytes;
  TensorInfo info;
  Weight(GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
    const auto f = Random(rows * cols, seed, 0.5f);
    const size_t rb = RowBytes(type, cols);
    bytes.resize(rb * rows + 1);
    for (int64_t r = 0; r < rows; ++r) QuantizeRow(type, f.data() + r * cols, bytes.data() + r * rb, cols);
    info.name = "w";
    info.type = type;
    info.ne = {cols, rows};
    info.data = bytes.data();
    info.bytes = rb * rows;
  }
};

// Runs the body once per compiled SIMD target (then restores dispatch).
template <typename F>
void ForEachTarget(F body) {
  for (int64_t t : simd::AvailableTargets()) {
    simd::ForceTarget(t);
    SCOPED_TRACE(simd::TargetName());
    body();
  }
  simd::ForceTarget(0);
}

// The executable is linked without libhwy; its runtime loads at the first
// dispatch (hwy_runtime.cc), and its target detection is the one in use.
TEST(KernelsCpu, HighwayRuntimeLoadsAtTheFirstDispatch) {
  const float a[3] = {1, 2, 3};
  EXPECT_EQ(simd::DotF32(a, a, 3), 14.0f);
  std::ifstream maps("/proc/self/maps");
  const std::string mapped{std::istreambuf_iterator<char>(maps), std::istreambuf_iterator<char>()};
  EXPECT_NE(mapped.find("/libhwy.so"), std::string::npos);
  EXPECT_FALSE(simd::AvailableTargets().empty());
  EXPECT_STRNE(simd::TargetName(), "");
}

// ggml_vec_dot_f32's AVX-512 order spelt out: lane l of accumulator c
// (c = chunk % 4) adds element 16 * chunk + l over full 64s; then (0 + 2) +
// (1 + 3); then lanes i and i+8, i and i+4, then (0 + 2) + (1 + 3); elements
// past the last full 64 fused in one by one.
float DotInGgmlOrder(const std::vector<float>& x, const std::vector<float>& y) {
  const size_t n = x.size(), full = n / 64 * 64;
  float acc[4][16] = {};
  for (size_t i = 0; i < full; ++i) acc[i / 16 % 4][i % 16] = std::fma(x[i], y[i], acc[i / 16 % 4][i % 16]);
  float v[16], a[8], b[4];
  for (int l = 0; l < 16; ++l) v[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
  for (int l = 0; l < 8; ++l) a[l] = v[l] + v[l + 8];
  for (int l = 0; l < 4; ++l) b[l] = a[l] + a[l + 4];
  float sum = (b[0] + b[2]) + (b[1] + b[3]);
  for (size_t i = full; i < n; ++i) sum = std::fma(x[i], y[i], sum);
  return sum;
}

TEST(KernelsCpu, AttentionScoreSumsInItsDocumentedOrder) {
  for (size_t n : {64u, 128u, 80u, 7u}) {
    const auto q = Random(n, 11 + static_cast<uint32_t>(n)), k = Random(n, 97 + static_cast<uint32_t>(n));
    EXPECT_EQ(AttentionScore(q.data(), k.data(), static_cast<int64_t>(n)), DotInGgmlOrder(q, k)) << n;
  }
}

TEST(KernelsCpu, DecodeWeightedSumIsADotOverThePaddedCache) {
  // 100 positions pad to 128: two full 64s; 40 pad to 64; 20 pad to 32 (no
  // full 64, every position fused in order). Positions before `first` weigh 0.
  const int64_t dim = 3;
  for (int64_t n : {100, 40, 20}) {
    const int64_t first = n / 5;
    auto p = Random(static_cast<size_t>(n), 5), v = Random(static_cast<size_t>(n * dim), 6);
    std::vector<float> o(dim);
    DotOrderWeightedSum(p.data(), v.data(), dim, 0, first, n, dim, o.data());
    for (int64_t d = 0; d < dim; ++d) {
      std::vector<float> pp(static_cast<size_t>(PaddedKvLength(n)), 0.0f), col(pp.size(), 0.0f);
      for (int64_t j = first; j < n; ++j) {
        pp[j] = p[j];
        col[j] = v[j * dim + d];
      }
      EXPECT_EQ(o[d], DotInGgmlOrder(pp, col)) << n << " d " << d;
    }
  }
}

TEST(KernelsCpu, AttentionSoftmaxSumsBlocksOf16FromPositionZero) {
  // 40 positions, the first 5 masked: blocks [0,16) (11 visible), [16,32),
  // [32,40); each block's exponentials reduced in f32, the blocks in double.
  auto s = Random(40, 8);
  const auto raw = s;
  AttentionSoftmax(s.data(), 5, 40);
  const float max = *std::max_element(raw.begin() + 5, raw.end());
  double sum = 0;
  for (int block = 0; block < 40; block += 16) {
    float lanes[16] = {};
    for (int j = std::max(block, 5); j < std::min(block + 16, 40); ++j) lanes[j - block] = ExpLikeGgml(raw[j] - max);
    sum += quant::ReduceLanes16(lanes);
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int j = 0; j < 40; ++j)
    EXPECT_EQ(s[j], j < 5 ? raw[j] : ExpLikeGgml(raw[j] - max) * inv) << j;
}

TEST(KernelsCpu, RopeFusesOneProductPerOutputAsGgml) {
  // ggml's rope compiled with FMA contraction: y0 = fma(x0, c, -(x1 * s)),
  // y1 = fma(x0, s, x1 * c). Position 171 and 64 dims: most outputs differ
  // from the unfused formula in the last bit.
  for (bool neox : {false, true}) {
    RopeParams p{.rope_dim = 64, .freq_base = 10000.0f, .neox = neox};
    const auto x = Random(64, neox ? 3 : 4);
    std::vector<float> cs;
    RopeCache(171, p, cs);
    std::vector<float> want = x;
    for (int64_t i = 0; i < 32; ++i) {
      const int64_t i0 = neox ? i : 2 * i, i1 = neox ? i + 32 : 2 * i + 1;
      const float c = cs[2 * i], s = cs[2 * i + 1];
      want[i0] = std::fma(x[i0], c, -(x[i1] * s));
      want[i1] = std::fma(x[i0], s, x[i1] * c);
    }
    const int32_t pos = 171;
    for (const Kernels* k : {&RefKernels(), &CpuKernels()}) {
      auto got = x;
      k->rope(got.data(), 1, 1, 64, &pos, p);
      EXPECT_EQ(got, want) << k->name << (neox ? " neox" : " pairs");
    }
  }
}

TEST(KernelsRef, MatmulF32MatchesHandComputed) {
  // W = [[1,2],[3,4],[5,6]] (3 rows x 2 cols), x = [[1,1],[2,-1]].
  std::vector<float> w = {1, 2, 3, 4, 5, 6};
  TensorInfo info;
  info.name = "w";
  info.type = GgmlType::F32;
  info.ne = {2, 3};
  info.data = reinterpret_cast<const uint8_t*>(w.data());
  info.bytes = w.size() * 4;
  const std::vector<float> x = {1, 1, 2, -1};
  std::vector<float> out(6, -99.0f);
  RefKernels().matmul(info, x.data(), 2, out.data());
  EXPECT_EQ(out, (std::vector<float>{3, 7, 11, 0, 2, 4}));
  std::fill(out.begin(), out.end(), -99.0f);
  CpuKernels().matmul(info, x.data(), 2, out.data());
  EXPECT_EQ(out, (std::vector<float>{3, 7, 11, 0, 2, 4}));
}

TEST(KernelsCpu, MatmulMatchesReferenceForEveryType) {
  tbb::task_arena arena(2);
  arena.execute([] {
    for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0,
                          GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
      const int64_t block = Traits(type).block_size;
      for (int64_t cols : {block, 2 * block, 3 * block}) {
        for (int64_t rows : {1, 7, 17, 33}) {
          for (int64_t n_tok : {0, 1, 3, 35}) {
            SCOPED_TRACE(std::string(TypeName(type)) + " cols " + std::to_string(cols) + " rows " +
                         std::to_string(rows) + " tokens " + std::to_string(n_tok));
            Weight w(type, rows, cols, static_cast<uint32_t>(rows * 131 + cols));
            const auto x = Random(n_tok * cols, 7 + static_cast<uint32_t>(n_tok));
            // A sentinel past the end catches stray writes.
            std::vector<float> want(rows * n_tok + 1, 12345.0f), got(rows * n_tok + 1, 12345.0f);
            RefKernels().matmul(w.info, x.data(), n_tok, want.data());
            CpuKernels().matmul(w.info, x.data(), n_tok, got.data());
            ASSERT_EQ(got.back(), 12345.0f);
            for (size_t i = 0; i + 1 < want.size(); ++i)
              ASSERT_NEAR(got[i], want[i], 2e-4f * std::sqrt(static_cast<float>(cols)) * (1 + std::fabs(want[i])))
                  << "index " << i;
          }
        }
      }
    }
  });
}

// With two or more tokens every output is VecDotBatched of its row and the
// token's converted activation, bit for bit, whether the matmul takes the
// tiled path or not; rows are read through TensorInfo::Row (head permutation).
TEST(KernelsCpu, MatmulOverTokensIsBitExactWithBatchedDots) {
  tbb::task_arena arena(2);
  arena.execute([] {
    for (GgmlType type : {GgmlType::F16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q4_K,
                          GgmlType::Q6_K}) {
      const int64_t cols = 2 * std::max<int64_t>(Traits(type).block_size, 64);
      for (int64_t rows : {5, 37, 64}) {
        for (int64_t n_tok : {2, 3, 33, 70}) {
          for (int32_t permute : {0, 1}) {
            SCOPED_TRACE(std::string(TypeName(type)) + " rows " + std::to_string(rows) + " tokens " +
                         std::to_string(n_tok) + " permute " + std::to_string(permute));
            Weight w(type, rows, cols, static_cast<uint32_t>(rows * 7 + n_tok));
            w.info.permute_heads = permute;  // rows 64 and 1 head: a real permutation; otherwise as stored
            if (rows % 2) w.info.permute_heads = 0;
            const auto x = Random(n_tok * cols, 11 + static_cast<uint32_t>(n_tok));
            std::vector<float> got(rows * n_tok + 1, 12345.0f);
            CpuKernels().matmul(w.info, x.data(), n_tok, got.data());
            ASSERT_EQ(got.back(), 12345.0f);
            std::vector<uint8_t> act(RowBytes(VecDotType(type), cols));
            for (int64_t t = 0; t < n_tok; ++t) {
              QuantizeActivation(type, x.data() + t * cols, act.data(), cols);
              for (int64_t r = 0; r < rows; ++r)
                ASSERT_EQ(got[t * rows + r], UsesInterleavedQ4_0(type, rows)
                                                 ? VecDotQ4_0x8(w.info.Row(r), act.data(), cols)
                                                 : VecDotBatched(type, w.info.Row(r), act.data(), cols))
                    << "token " << t << " row " << r;
            }
          }
        }
      }
    }
  });
}

TEST(KernelsRef, RmsnormMatchesFormula) {
  for (int64_t n : {1, 15, 16, 17, 4096}) {
    const auto x = Random(n, 3), w = Random(n, 4);
    std::vector<float> ref(n), cpu(n);
    RefKernels().rmsnorm(x.data(), w.data(), n, 1e-5f, ref.data());
    CpuKernels().rmsnorm(x.data(), w.data(), n, 1e-5f, cpu.data());
    double ss = 0;
    for (float v : x) ss += static_cast<double>(v) * v;
    const double inv = 1.0 / std::sqrt(ss / n + 1e-5);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_NEAR(ref[i], x[i] * inv * w[i], 1e-5 * (1 + std::fabs(x[i] * inv * w[i])));
      EXPECT_EQ(cpu[i], ref[i]);
    }
  }
}

TEST(KernelsRef, RopeRotatesAdjacentPairs) {
  // head_dim 4, rope_dim 4, base 100: pair 0 turns by pos rad, pair 1 by pos/10 rad.
  RopeParams p;
  p.rope_dim = 4;
  p.freq_base = 100.0f;
  std::vector<float> x = {1, 0, 0, 1};
  const int32_t pos[1] = {2};
  RefKernels().rope(x.data(), 1, 1, 4, pos, p);
  EXPECT_NEAR(x[0], std::cos(2.0), 1e-6);
  EXPECT_NEAR(x[1], std::sin(2.0), 1e-6);
  EXPECT_NEAR(x[2], -std::sin(0.2), 1e-6);
  EXPECT_NEAR(x[3], std::cos(0.2), 1e-6);
  // Frequency factors divide the angle; position 0 is the identity.
  const float ff[2] = {2.0f, 1.0f};
  p.freq_factors = ff;
  std::vector<float> y = {1, 0, 1, 0};
  RefKernels().rope(y.data(), 1, 1, 4, pos, p);
  EXPECT_NEAR(y[1], std::sin(1.0), 1e-6);
  const int32_t zero[1] = {0};
  std::vector<float> z = {0.3f, -0.7f, 1.5f, 2.0f}, z0 = z;
  RefKernels().rope(z.data(), 1, 1, 4, zero, p);
  EXPECT_EQ(z, z0);
}

TEST(KernelsCpu, RopeMatchesReference) {
  for (bool neox : {false, true}) {
    RopeParams p;
    p.rope_dim = 64;
    p.freq_base = 500000.0f;
    p.neox = neox;
    const int64_t n_tok = 5, n_heads = 3, head_dim = 66;  // two unrotated dims per head
    auto a = Random(n_tok * n_heads * head_dim, 9), b = a;
    const int32_t pos[n_tok] = {0, 1, 7, 300, 8191};
    RefKernels().rope(a.data(), n_tok, n_heads, head_dim, pos, p);
    CpuKernels().rope(b.data(), n_tok, n_heads, head_dim, pos, p);
    EXPECT_EQ(a, b);
  }
}

TEST(KernelsCpu, SoftmaxSwigluAddMatchReference) {
  for (int64_t n : {0, 1, 7, 8, 9, 16, 17, 1000}) {
    auto a = Random(n, 11, 3.0f), b = a;
    RefKernels().softmax(a.data(), n);
    CpuKernels().softmax(b.data(), n);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      sum += a[i];
      EXPECT_NEAR(a[i], b[i], 1e-7);
    }
    if (n > 0) {
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
    const auto g = Random(n, 12), u = Random(n, 13);
    std::vector<float> r(n), c(n);
    RefKernels().swiglu(g.data(), u.data(), n, r.data());
    CpuKernels().swiglu(g.data(), u.data(), n, c.data());
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_NEAR(r[i], g[i] / (1 + std::exp(-g[i])) * u[i], 1e-6);
      EXPECT_EQ(r[i], c[i]);
    }
    auto acc1 = Random(n, 14), acc2 = acc1;
    RefKernels().add(acc1.data(), g.data(), n);
    CpuKernels().add(acc2.data(), g.data(), n);
    EXPECT_EQ(acc1, acc2);
  }
}

// Fills a cache of n_pos positions (f32 or f16 bits) from random floats.
struct Cache {
  std::vector<float> kf, vf;
  std::vector<uint16_t> kh, vh;
  Cache(int64_t n_pos, int64_t stride, uint32_t seed) : kf(Random(n_pos * stride, seed)), vf(Random(n_pos * stride, seed + 1)) {
    for (float x : kf) kh.push_back(Fp32ToFp16(x));
    for (float x : vf) vh.push_back(Fp32ToFp16(x));
  }
  KvLayerView View(bool f16, int64_t stride) const {
    return f16 ? KvLayerView{kh.data(), vh.data(), true, stride} : KvLayerView{kf.data(), vf.data(), false, stride};
  }
};

TEST(KernelsRef, AttentionOverOnePositionReturnsItsValue) {
  const int64_t n_head = 4, n_kv = 2, hd = 8;
  Cache cache(1, n_kv * hd, 21);
  const auto q = Random(n_head * hd, 22);
  std::vector<float> out(n_head * hd);
  const int32_t pos[1] = {0};
  AttentionArgs a{q.data(), 1, pos, cache.View(false, n_kv * hd), n_head, n_kv, hd, 0.35f, out.data()};
  RefKernels().attention(a);
  for (int64_t h = 0; h < n_head; ++h)
    for (int64_t d = 0; d < hd; ++d) EXPECT_FLOAT_EQ(out[h * hd + d], cache.vf[(h / 2) * hd + d]);
}

TEST(KernelsCpu, AttentionMatchesReference) {
  tbb::task_arena arena(2);
  arena.execute([] {
    ForEachTarget([] {
      for (bool f16 : {false, true}) {
        for (int64_t hd : {1, 7, 16, 17, 64}) {
          for (int64_t n_tok : {1, 3}) {
            const int64_t n_head = 6, n_kv = 2, stride = n_kv * hd, n_pos = 40;
            SCOPED_TRACE("f16 " + std::to_string(f16) + " head_dim " + std::to_string(hd));
            Cache cache(n_pos, stride, 31 + static_cast<uint32_t>(hd));
            const auto q = Random(n_tok * n_head * hd, 32);
            std::vector<int32_t> pos(n_tok);
            for (int64_t t = 0; t < n_tok; ++t) pos[t] = static_cast<int32_t>(n_pos - n_tok + t);
            std::vector<float> want(n_tok * n_head * hd), got(want.size());
            const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
            AttentionArgs a{q.data(), n_tok, pos.data(), cache.View(f16, stride), n_head, n_kv, hd, scale, want.data()};
            RefKernels().attention(a);
            a.out = got.data();
            CpuKernels().attention(a);
            // A prompt over an f32 cache keeps the reference's order throughout
            // (kernels.h), so it is bit-exact. An f16 cache rounds the
            // probabilities to f16, which turns a last-bit difference in a score
            // into up to one f16 step of that probability.
            const float tol = f16 ? 2e-4f : n_tok >= 2 ? 0.0f : 1e-5f;
            for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << i;
          }
        }
      }
    });
  });
}

// Sliding windows and logit soft-capping (Gemma 2): a window of one sees
// only the query's own position; a window as long as the sequence changes
// nothing; soft-capping changes the result and both tables agree on it.
TEST(KernelsRef, AttentionWindowAndSoftcap) {
  const int64_t n_head = 2, n_kv = 1, hd = 8, n_pos = 12;
  Cache cache(n_pos, n_kv * hd, 51);
  const auto q = Random(n_head * hd, 52, 4.0f);
  const int32_t pos[1] = {n_pos - 1};
  auto attend = [&](const Kernels& k, int64_t window, float softcap) {
    std::vector<float> out(n_head * hd);
    AttentionArgs a{q.data(), 1, pos, cache.View(false, n_kv * hd), n_head, n_kv, hd, 0.35f, out.data()};
    a.window = window;
    a.softcap = softcap;
    k.attention(a);
    return out;
  };
  const auto one = attend(RefKernels(), 1, 0);
  for (int64_t h = 0; h < n_head; ++h)
    for (int64_t d = 0; d < hd; ++d) EXPECT_FLOAT_EQ(one[h * hd + d], cache.vf[(n_pos - 1) * hd + d]);
  EXPECT_EQ(attend(RefKernels(), n_pos, 0), attend(RefKernels(), 0, 0));
  EXPECT_NE(attend(RefKernels(), 0, 0), attend(RefKernels(), 5, 0));
  EXPECT_NE(attend(RefKernels(), 0, 1.5f), attend(RefKernels(), 0, 0));
  // A cap far above every score is the identity up to rounding.
  const auto wide = attend(RefKernels(), 0, 1e4f), plain = attend(RefKernels(), 0, 0);
  for (size_t i = 0; i < wide.size(); ++i) EXPECT_NEAR(wide[i], plain[i], 1e-5f);
}

TEST(KernelsCpu, WindowedSoftcappedAttentionMatchesReference) {
  tbb::task_arena arena(2);
  arena.execute([] {
    ForEachTarget([] {
      for (bool f16 : {false, true})
        for (int64_t window : {1, 5, 17, 40})
          for (float softcap : {0.0f, 2.5f})
            for (int64_t n_tok : {1, 3}) {
              const int64_t n_head = 4, n_kv = 2, hd = 16, stride = n_kv * hd, n_pos = 40;
              SCOPED_TRACE("f16 " + std::to_string(f16) + " window " + std::to_string(window) + " softcap " +
                           std::to_string(softcap) + " tokens " + std::to_string(n_tok));
              Cache cache(n_pos, stride, 61);
              const auto q = Random(n_tok * n_head * hd, 62, 3.0f);
              std::vector<int32_t> pos(n_tok);
              for (int64_t t = 0; t < n_tok; ++t) pos[t] = static_cast<int32_t>(n_pos - n_tok + t);
              std::vector<float> want(q.size()), got(q.size());
              AttentionArgs a{q.data(), n_tok, pos.data(), cache.View(f16, stride), n_head, n_kv, hd, 0.25f, want.data()};
              a.window = window;
              a.softcap = softcap;
              RefKernels().attention(a);
              a.out = got.data();
              CpuKernels().attention(a);
              const float tol = f16 ? 2e-4f : n_tok >= 2 ? 0.0f : 1e-5f;  // as above
              for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << i;
            }
    });
  });
}

// A sliding layer's ring cache (kv_cache.h): position p in row p % slots,
// only the latest `slots` positions held. Both tables read it as the
// positions it holds and sum in the same order, so the result equals the
// whole cache's bit for bit (70 positions: past one full 64 of the
// decode order).
TEST(KernelsCpu, AttentionReadsARingCacheAsTheWholeCache) {
  tbb::task_arena arena(2);
  arena.execute([] {
    ForEachTarget([] {
      for (bool f16 : {false, true})
        for (int64_t n_tok : {1, 3})
          for (int64_t window : {9, 33}) {
            const int64_t n_head = 4, n_kv = 2, hd = 16, stride = n_kv * hd, n_pos = 70;
            const int64_t slots = window - 1 + n_tok + 2;
            SCOPED_TRACE("f16 " + std::to_string(f16) + " tokens " + std::to_string(n_tok) + " window " +
                         std::to_string(window));
            Cache whole(n_pos, stride, 71), ring(slots, stride, 72);
            for (int64_t p = n_pos - slots; p < n_pos; ++p) {
              const int64_t from = p * stride, to = (p % slots) * stride;
              std::copy_n(whole.kf.begin() + from, stride, ring.kf.begin() + to);
              std::copy_n(whole.vf.begin() + from, stride, ring.vf.begin() + to);
              std::copy_n(whole.kh.begin() + from, stride, ring.kh.begin() + to);
              std::copy_n(whole.vh.begin() + from, stride, ring.vh.begin() + to);
            }
            const auto q = Random(n_tok * n_head * hd, 73, 3.0f);
            std::vector<int32_t> pos(n_tok);
            for (int64_t t = 0; t < n_tok; ++t) pos[t] = static_cast<int32_t>(n_pos - n_tok + t);
            for (const Kernels* k : {&RefKernels(), &CpuKernels()}) {
              std::vector<float> want(q.size()), got(q.size());
              AttentionArgs a{q.data(), n_tok, pos.data(), whole.View(f16, stride), n_head, n_kv, hd, 0.25f, want.data()};
              a.window = window;
              a.softcap = 2.5f;
              k->attention(a);
              a.kv = ring.View(f16, stride);
              a.kv.slots = slots;
              a.out = got.data();
              k->attention(a);
              EXPECT_EQ(got, want) << k->name;
            }
          }
    });
  });
}

TEST(KernelsCpu, GegluScaleSoftcapMatchReference) {
  // ggml's table GELU: exact at 0, identity from 10, zero from -10, f16 precision between.
  EXPECT_EQ(GeluLikeGgml(0.0f), 0.0f);
  EXPECT_EQ(GeluLikeGgml(12.5f), 12.5f);
  EXPECT_EQ(GeluLikeGgml(-11.0f), 0.0f);
  for (float x : {-3.0f, -0.5f, 0.25f, 1.0f, 2.0f, 9.5f}) {
    const double exact = 0.5 * x * (1 + std::tanh(0.7978845608028654 * x * (1 + 0.044715 * x * x)));
    EXPECT_NEAR(GeluLikeGgml(x), exact, 2e-3 * (1 + std::fabs(exact))) << x;
    EXPECT_EQ(Fp16ToFp32(Fp32ToFp16(GeluLikeGgml(x))), GeluLikeGgml(x)) << "an f16 value";
  }
  for (int64_t n : {0, 1, 17, 300}) {
    const auto g = Random(n, 71, 6.0f), u = Random(n, 72);
    std::vector<float> r(n), c(n);
    RefKernels().geglu(g.data(), u.data(), n, r.data());
    CpuKernels().geglu(g.data(), u.data(), n, c.data());
    EXPECT_EQ(r, c);
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(r[i], GeluLikeGgml(g[i]) * u[i]);
    auto s1 = Random(n, 73, 80.0f), s2 = s1;
    RefKernels().softcap(s1.data(), n, 30.0f);
    CpuKernels().softcap(s2.data(), n, 30.0f);
    EXPECT_EQ(s1, s2);
    for (float v : s1) EXPECT_LT(std::fabs(v), 30.0f + 1e-4f);
    auto x1 = Random(n, 74), x2 = x1;
    RefKernels().scale(x1.data(), n, 0.125f);
    CpuKernels().scale(x2.data(), n, 0.125f);
    EXPECT_EQ(x1, x2);
  }
}

TEST(KernelsCpu, SimdPrimitivesMatchScalarAtEveryLength) {
  ForEachTarget([] {
    for (int64_t n = 0; n <= 70; ++n) {
      const auto a = Random(n + 1, 41), b = Random(n + 1, 42);
      // Offset by one element to exercise misaligned loads.
      double want = 0;
      for (int64_t i = 0; i < n; ++i) want += static_cast<double>(a[i + 1]) * b[i + 1];
      EXPECT_NEAR(simd::DotF32(a.data() + 1, b.data() + 1, n), want, 1e-4) << n;
      std::vector<uint16_t> bh;
      double want_h = 0;
      for (int64_t i = 0; i <= n; ++i) bh.push_back(Fp32ToFp16(b[i]));
      for (int64_t i = 0; i < n; ++i) want_h += static_cast<double>(a[i + 1]) * Fp16ToFp32(bh[i + 1]);
      EXPECT_NEAR(simd::DotF32F16(a.data() + 1, bh.data() + 1, n), want_h, 1e-4) << n;
      std::vector<float> o1(n + 2, 1.0f), o2(n + 2, 1.0f);
      simd::AxpyF32(o1.data() + 1, 0.5f, a.data() + 1, n);
      simd::AxpyF16(o2.data() + 1, 0.5f, bh.data() + 1, n);
      EXPECT_EQ(o1.back(), 1.0f);
      EXPECT_EQ(o2.back(), 1.0f);
      for (int64_t i = 0; i < n; ++i) {
        EXPECT_FLOAT_EQ(o1[i + 1], 1.0f + 0.5f * a[i + 1]);
        EXPECT_FLOAT_EQ(o2[i + 1], 1.0f + 0.5f * Fp16ToFp32(bh[i + 1]));
      }
    }
  });
}

// Equal bits, so NaN matches NaN.
bool SameBits(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

TEST(KernelsCpu, SimdExpAndSwigluAreBitExactWithScalar) {
  ForEachTarget([] {
    for (int64_t n : {0, 1, 7, 8, 15, 16, 17, 31, 33, 70, 1000}) {
      for (float scale : {1.0f, 60.0f}) {  // 60: lanes past ±87 take the scalar path
        SCOPED_TRACE("n " + std::to_string(n) + " scale " + std::to_string(scale));
        auto x = Random(n + 1, 51, scale);
        if (n > 20 && scale > 1) x[20] = NAN;
        const float max = n > 0 ? *std::max_element(x.begin() + 1, x.end()) : 0.0f;
        std::vector<float> want(x.begin() + 1, x.end());
        double want_sum = 0;
        for (auto& v : want) want_sum += v = ExpLikeGgml(v - max);
        auto got = x;
        const double sum = simd::ExpSubSum(got.data() + 1, n, max);
        EXPECT_TRUE(sum == want_sum || (std::isnan(sum) && std::isnan(want_sum))) << sum << " " << want_sum;
        for (int64_t i = 0; i < n; ++i) ASSERT_TRUE(SameBits(got[i + 1], want[i])) << i << " x " << x[i + 1];

        const auto up = Random(n, 52);
        std::vector<float> out(n), in_place(x.begin() + 1, x.end());
        simd::Swiglu(x.data() + 1, up.data(), n, out.data());
        simd::Swiglu(in_place.data(), up.data(), n, in_place.data());
        for (int64_t i = 0; i < n; ++i) {
          const float w = SiluLikeGgml(x[i + 1]) * up[i];
          ASSERT_TRUE(SameBits(out[i], w)) << i << " x " << x[i + 1];
          ASSERT_TRUE(SameBits(in_place[i], w)) << i;
        }
      }
    }
  });
}

TEST(KernelsCpu, GetRowsDequantizesAndRejectsBadIds) {
  for (GgmlType type : {GgmlType::F32, GgmlType::Q8_0, GgmlType::Q6_K}) {
    const int64_t cols = Traits(type).block_size * 2;
    Weight w(type, 9, cols, 51);
    const int32_t ids[3] = {8, 0, 8};
    std::vector<float> ref(3 * cols), cpu(3 * cols), row(cols);
    RefKernels().get_rows(w.info, ids, 3, ref.data());
    CpuKernels().get_rows(w.info, ids, 3, cpu.data());
    EXPECT_EQ(ref, cpu);
    DequantizeRow(type, w.bytes.data() + 8 * RowBytes(type, cols), row.data(), cols);
    EXPECT_EQ(std::vector<float>(ref.begin(), ref.begin() + cols), row);
    const int32_t bad[1] = {9};
    EXPECT_THROW(CpuKernels().get_rows(w.info, bad, 1, cpu.data()), Error);
    EXPECT_THROW(RefKernels().get_rows(w.info, bad, 1, cpu.data()), Error);
  }
}

// ggml's exp polynomial: within 2.5 ulp of the true exp over the range softmax
// and SiLU feed it, exact at 0, and the documented edges.
TEST(GgmlExp, CloseToExpAndEdges) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-100.0f, 88.0f);
  for (int i = 0; i < 100000; ++i) {
    const float x = dist(rng);
    const double want = std::exp(static_cast<double>(x));
    const float got = ExpLikeGgml(x);
    const float ulp = std::nextafter(static_cast<float>(want), INFINITY) - static_cast<float>(want);
    ASSERT_LE(std::fabs(got - want), 2.5 * ulp + 1e-45) << "x=" << x;  // ggml: 1.45 + 0.5 ulp
  }
  EXPECT_EQ(ExpLikeGgml(0.0f), 1.0f);
  EXPECT_EQ(ExpLikeGgml(-200.0f), 0.0f);
  EXPECT_EQ(ExpLikeGgml(-INFINITY), 0.0f);
  EXPECT_EQ(ExpLikeGgml(100.0f), INFINITY);
  EXPECT_TRUE(std::isnan(ExpLikeGgml(NAN)));
  EXPECT_FLOAT_EQ(SiluLikeGgml(2.0f), 2.0f / (1.0f + std::exp(-2.0f)));
  EXPECT_EQ(SiluLikeGgml(-200.0f), -0.0f);
}

// ggml's expf polynomial scaled by std::ldexp, the plain statement of the
// last step ExpLikeGgml performs with a multiply where that is exact.
float ExpWithLdexp(float x) {
  const float shift = 0x1.8p23f;
  const float n = std::fma(x, 0x1.715476p+0f, shift) - shift;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const float u = b * b;
  const float hi = std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f));
  const float p = std::fma(hi, u, std::fma(0x1.ffffecp-1f, b, 1.0f));
  return std::ldexp(p, static_cast<int>(n));
}

TEST(GgmlExp, ScalesByPowersOfTwoExactlyAsLdexp) {
  // Every input near the ends of the range (subnormal and near-overflow
  // results), and a dense sweep in between.
  for (float x = -104.0f; x <= -80.0f; x = std::nextafter(x, INFINITY)) ASSERT_EQ(ExpLikeGgml(x), ExpWithLdexp(x)) << x;
  for (float x = 80.0f; x <= 89.0f; x = std::nextafter(x, INFINITY)) ASSERT_EQ(ExpLikeGgml(x), ExpWithLdexp(x)) << x;
  for (float x = -80.0f; x <= 80.0f; x += 0.0009765625f) ASSERT_EQ(ExpLikeGgml(x), ExpWithLdexp(x)) << x;
}

}  // namespace
}  // namespace bhasa::native
