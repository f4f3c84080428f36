// The "cuda" kernel table and device selection.
//
// Everywhere: KernelsForDevice's errors, and the per-element dequantizers the
// GPU kernels are built from (dequant_elem.h, compiled here for the host)
// against DequantizeRow. With a GPU: the CUDA matmul against the reference
// table for every weight type (with guard values around the output), the
// weight cache's handling of permuted rows and reused pointers, concurrent
// callers, and the llama-tiny forward pass against llama.cpp's logits. Those
// skip with the reason when the table is unavailable (no GPU, or a build
// without -DBHASA_CUDA=ON).
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>

#include "backends/native/cuda/dequant_elem.h"
#include "backends/native/device.h"
#include "backends/native/forward.h"
#include "backends/native/kernels.h"
#include "backends/native/kv_cache.h"
#include "backends/native/llama_model.h"
#include "backends/native/quant_blocks.h"
#include "backends/native/sampler.h"
#include "common/error.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

// The CUDA table, or null with the reason in *why.
const Kernels* CudaTable(std::string* why) {
  try {
    return &KernelsForDevice("cuda");
  } catch (const Error& e) {
    *why = e.what();
    return nullptr;
  }
}

#define REQUIRE_CUDA(k)                                                 \
  std::string why_unavailable;                                          \
  const Kernels* k = CudaTable(&why_unavailable);                       \
  if (!k) GTEST_SKIP() << "CUDA table unavailable: " << why_unavailable

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
    bytes.resize(RowBytes(type, cols) * rows);
    info.name = std::string("w.") + TypeName(type);
    info.type = type;
    info.ne = {cols, rows};
    info.data = bytes.data();
    info.bytes = bytes.size();
    Fill(seed);
  }
  // New random contents at the same address.
  void Fill(uint32_t seed) {
    const int64_t rows = info.rows(), cols = info.cols();
    const auto f = Random(rows * cols, seed, 0.5f);
    const size_t rb = info.row_bytes();
    for (int64_t r = 0; r < rows; ++r) QuantizeRow(info.type, f.data() + r * cols, bytes.data() + r * rb, cols);
  }
};

// ---- device selection (runs everywhere) --------------------------------------

TEST(DeviceSelection, CpuIsTheCpuTable) {
  EXPECT_EQ(&KernelsForDevice("cpu"), &CpuKernels());
  EXPECT_EQ(DeviceSummary("cpu"), "cpu");
}

TEST(DeviceSelection, UnknownNameListsTheValidOnes) {
  try {
    KernelsForDevice("nope");
    FAIL() << "no error for an unknown device";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cpu, cuda"), std::string::npos) << e.what();
  }
  EXPECT_THROW(DeviceSummary("gpu"), Error);
}

TEST(DeviceSelection, CudaIsATableOrAClearError) {
  std::string why;
  const Kernels* k = CudaTable(&why);
  if (!k) {
    const bool clear = why.find("built without CUDA (configure with -DBHASA_CUDA=ON)") != std::string::npos ||
                       why.find("no CUDA device: ") != std::string::npos;
    EXPECT_TRUE(clear) << why;
    EXPECT_THROW(DeviceSummary("cuda"), Error);
    return;
  }
  // The matmul and attention are the GPU's; every other entry is the CPU table's.
  const Kernels& cpu = CpuKernels();
  EXPECT_STREQ(k->name, "cuda");
  EXPECT_NE(k->matmul, cpu.matmul);
  EXPECT_NE(k->attention, cpu.attention);
  EXPECT_EQ(k->rmsnorm, cpu.rmsnorm);
  EXPECT_EQ(k->rope, cpu.rope);
  EXPECT_EQ(k->softmax, cpu.softmax);
  EXPECT_EQ(k->swiglu, cpu.swiglu);
  EXPECT_EQ(k->add, cpu.add);
  EXPECT_EQ(k->get_rows, cpu.get_rows);
  EXPECT_FALSE(DeviceSummary("cuda").empty());
  std::printf("[ device   ] %s\n", DeviceSummary("cuda").c_str());
}

// ---- element decoders (host build of the GPU code; runs everywhere) -----------

TEST(CudaDequantElem, HalfToFloatMatchesForEveryBitPattern) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float a = cuda_elem::HalfToFloat(static_cast<uint16_t>(h)), b = Fp16ToFp32(static_cast<uint16_t>(h));
    uint32_t ab, bb;
    std::memcpy(&ab, &a, 4);
    std::memcpy(&bb, &b, 4);
    ASSERT_EQ(ab, bb) << "half bits 0x" << std::hex << h;
  }
}

template <typename Block>
void CheckDecoder(GgmlType type, int qk, float (*decode)(const Block&, int)) {
  SCOPED_TRACE(TypeName(type));
  const int64_t n = 4 * qk;
  for (uint32_t seed : {1u, 2u, 3u}) {
    auto x = Random(n, seed, 0.7f);
    x[5] = 0.0f;  // a zero and a large value inside the blocks
    x[n - 3] = 9.0f;
    std::vector<uint8_t> q(RowBytes(type, n));
    QuantizeRow(type, x.data(), q.data(), n);
    std::vector<float> want(n);
    DequantizeRow(type, q.data(), want.data(), n);
    const auto* blocks = reinterpret_cast<const Block*>(q.data());
    for (int64_t e = 0; e < n; ++e)
      ASSERT_EQ(decode(blocks[e / qk], static_cast<int>(e % qk)), want[e]) << "element " << e << " seed " << seed;
  }
}

TEST(CudaDequantElem, DecodersMatchDequantizeRowBitForBit) {
  using namespace quant;
  CheckDecoder<BlockQ4_0>(GgmlType::Q4_0, kQK4_0, cuda_elem::DecodeQ4_0);
  CheckDecoder<BlockQ5_0>(GgmlType::Q5_0, kQK5_0, cuda_elem::DecodeQ5_0);
  CheckDecoder<BlockQ8_0>(GgmlType::Q8_0, kQK8_0, cuda_elem::DecodeQ8_0);
  CheckDecoder<BlockQ2_K>(GgmlType::Q2_K, kQK_K, cuda_elem::DecodeQ2_K);
  CheckDecoder<BlockQ3_K>(GgmlType::Q3_K, kQK_K, cuda_elem::DecodeQ3_K);
  CheckDecoder<BlockQ4_K>(GgmlType::Q4_K, kQK_K, cuda_elem::DecodeQ4_K);
  CheckDecoder<BlockQ5_K>(GgmlType::Q5_K, kQK_K, cuda_elem::DecodeQ5_K);
  CheckDecoder<BlockQ6_K>(GgmlType::Q6_K, kQK_K, cuda_elem::DecodeQ6_K);
}

// ---- the GPU matmul -----------------------------------------------------------

constexpr GgmlType kTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0,
                               GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q2_K, GgmlType::Q3_K,
                               GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};

// Tolerances as a fraction of |W.Row(r)| * |x_t|. Against the exact product
// of the dequantized weights: F32 is a full f32 GEMM; every other type meets
// f16/bf16 activations (and quantized weights are f16 after dequantization).
// Against RefKernels: the reference also rounds the activations, to Q8_0/Q8_K
// for quantized weights, which dominates the difference.
double ExactTolerance(GgmlType t) {
  return t == GgmlType::F32 ? 1e-5 : t == GgmlType::BF16 ? 8e-3 : 2e-3;
}
double RefTolerance(GgmlType t) {
  return t == GgmlType::F32 ? 1e-5 : (t == GgmlType::F16 || t == GgmlType::BF16) ? 1e-4 : 1e-2;
}

// Runs k.matmul with guard values on both sides of the output and checks it
// against RefKernels and the exact (double) product of the dequantized weights.
void CheckMatmul(const Kernels& k, const TensorInfo& w, int64_t n_tokens, uint32_t seed) {
  SCOPED_TRACE(std::string(TypeName(w.type)) + " n_tokens " + std::to_string(n_tokens));
  const int64_t rows = w.rows(), cols = w.cols();
  const auto x = Random(n_tokens * cols, seed);
  constexpr int64_t kGuard = 64;
  constexpr float kSentinel = -12345.0f;
  std::vector<float> got(n_tokens * rows + 2 * kGuard, kSentinel), ref(n_tokens * rows);
  k.matmul(w, x.data(), n_tokens, got.data() + kGuard);
  RefKernels().matmul(w, x.data(), n_tokens, ref.data());
  for (int64_t i = 0; i < kGuard; ++i) {
    ASSERT_EQ(got[i], kSentinel) << "write before the output at " << i - kGuard;
    ASSERT_EQ(got[kGuard + n_tokens * rows + i], kSentinel) << "write after the output at " << i;
  }
  const std::vector<float> wf = w.Dequantize();  // GGUF row order
  for (int64_t t = 0; t < n_tokens; ++t) {
    const float* xt = x.data() + t * cols;
    double x_norm = 0;
    for (int64_t c = 0; c < cols; ++c) x_norm += static_cast<double>(xt[c]) * xt[c];
    for (int64_t r = 0; r < rows; ++r) {
      double exact = 0, w_norm = 0;
      for (int64_t c = 0; c < cols; ++c) {
        exact += static_cast<double>(wf[r * cols + c]) * xt[c];
        w_norm += static_cast<double>(wf[r * cols + c]) * wf[r * cols + c];
      }
      const double scale = std::sqrt(w_norm * x_norm) + 1e-30;
      const float g = got[kGuard + t * rows + r];
      ASSERT_TRUE(std::isfinite(g)) << "row " << r << " token " << t;
      ASSERT_LE(std::fabs(g - exact) / scale, ExactTolerance(w.type))
          << "row " << r << " token " << t << ": got " << g << ", exact " << exact;
      ASSERT_LE(std::fabs(g - ref[t * rows + r]) / scale, RefTolerance(w.type))
          << "row " << r << " token " << t << ": got " << g << ", reference " << ref[t * rows + r];
    }
  }
}

TEST(KernelsCuda, MatmulMatchesReferenceForEveryType) {
  REQUIRE_CUDA(k);
  uint32_t seed = 100;
  for (GgmlType type : kTypes) {
    Weight w(type, 96, 512, seed++);
    for (int64_t n_tokens : {1, 3, 37}) CheckMatmul(*k, w.info, n_tokens, seed++);
  }
}

// Prompt-chunk attention runs on the GPU (16+ query rows), decode rows on the
// CPU; both must match the reference table for f32 and f16 caches.
TEST(KernelsCuda, AttentionMatchesReference) {
  REQUIRE_CUDA(k);
  for (bool f16 : {false, true})
    for (int64_t hd : {64, 128})
      for (int64_t n_tok : {1, 16, 37}) {
        SCOPED_TRACE("f16 " + std::to_string(f16) + " head_dim " + std::to_string(hd) + " rows " + std::to_string(n_tok));
        const int64_t n_head = 8, n_head_kv = 2, stride = n_head_kv * hd, n_pos = 300;
        KvCache cache(1, stride, 512, f16 ? KvType::kF16 : KvType::kF32);
        cache.Reserve(n_pos);
        const auto kv = Random(2 * n_pos * stride, 40 + static_cast<uint32_t>(hd));
        cache.Write(0, 0, kv.data(), kv.data() + n_pos * stride, n_pos, stride);
        cache.Commit(n_pos);
        const auto q = Random(n_tok * n_head * hd, 41);
        std::vector<int32_t> pos(n_tok);
        for (int64_t t = 0; t < n_tok; ++t) pos[t] = static_cast<int32_t>(n_pos - n_tok + t);
        std::vector<float> want(q.size()), got(q.size(), -7.0f);
        AttentionArgs a{q.data(), n_tok, pos.data(), cache.View(0), n_head, n_head_kv, hd,
                        1.0f / std::sqrt(static_cast<float>(hd)), want.data()};
        RefKernels().attention(a);
        a.out = got.data();
        k->attention(a);
        const float tol = f16 ? 2e-3f : 1e-5f;  // f16 rounds each probability: one f16 step apart at most
        for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << i;
      }
}

TEST(KernelsCuda, MatmulOfNothingWritesNothing) {
  REQUIRE_CUDA(k);
  Weight w(GgmlType::Q4_0, 8, 64, 7);
  float out[4] = {1, 2, 3, 4};
  k->matmul(w.info, nullptr, 0, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[3], 4.0f);
}

TEST(KernelsCuda, PermutedRowsAreReadThroughRow) {
  REQUIRE_CUDA(k);
  // An HF q/k projection: 4 heads of 16 rows, rows remapped by TensorInfo::Row.
  for (GgmlType type : {GgmlType::F16, GgmlType::BF16, GgmlType::F32, GgmlType::Q8_0}) {
    Weight w(type, 64, 256, 31);
    w.info.permute_heads = 4;
    CheckMatmul(*k, w.info, 5, 32);
  }
}

TEST(KernelsCuda, ReusedPointerWithNewContentsIsUploadedAgain) {
  REQUIRE_CUDA(k);
  Weight w(GgmlType::Q4_K, 32, 256, 41);
  CheckMatmul(*k, w.info, 2, 42);
  w.Fill(43);  // same address, type and shape; other bytes
  CheckMatmul(*k, w.info, 2, 44);
}

TEST(KernelsCuda, ConcurrentCallersGetTheirOwnResults) {
  REQUIRE_CUDA(k);
  std::vector<Weight> weights;
  weights.reserve(4);
  for (int i = 0; i < 4; ++i) weights.emplace_back(i % 2 ? GgmlType::Q6_K : GgmlType::F16, 64, 512, 50 + i);
  std::vector<std::thread> threads;
  std::vector<std::string> failures(weights.size());
  for (size_t i = 0; i < weights.size(); ++i)
    threads.emplace_back([&, i] {
      const TensorInfo& w = weights[i].info;
      const auto x = Random(7 * w.cols(), 60 + i);
      std::vector<float> want(7 * w.rows()), got(want.size());
      k->matmul(w, x.data(), 7, want.data());  // the first call uploads the weight
      for (int rep = 0; rep < 20; ++rep) {
        k->matmul(w, x.data(), 7, got.data());
        // Another caller's weight or activations would differ grossly.
        for (size_t j = 0; j < got.size(); ++j)
          if (std::fabs(got[j] - want[j]) > 1e-5f * (1.0f + std::fabs(want[j]))) {
            failures[i] = "thread " + std::to_string(i) + " rep " + std::to_string(rep) + " differs at " +
                          std::to_string(j);
            return;
          }
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& f : failures) EXPECT_EQ(f, "");
}

// ---- forward pass on the GPU against llama.cpp's logits ----------------------

class CudaForwardFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CudaForwardFixtureTest, MatchesLlamaCpp) {
  REQUIRE_CUDA(k);
  const std::string model_rel = "fixtures/llama-tiny/models/" + GetParam() + ".gguf";
  const std::string ref_rel = "fixtures/llama-tiny/reference/" + GetParam() + ".json";
  BHASA_REQUIRE_SHARED(model_rel);
  BHASA_REQUIRE_SHARED(ref_rel);
  const std::string shared = testing::SharedDir() + "/";

  nlohmann::json ref;
  std::ifstream(shared + ref_rel) >> ref;
  auto model = Model::Load(shared + model_rel);
  const auto& hp = model->hparams();
  ASSERT_EQ(hp.n_vocab, ref["n_vocab"].get<int64_t>());

  tbb::task_arena arena(2);
  arena.execute([&] {
    Forward fwd(*model, *k);
    std::vector<float> logits;
    for (const auto& c : ref["cases"]) {
      SCOPED_TRACE(c["id"].get<std::string>());
      const auto tokens = c["tokens_bos"].get<std::vector<int32_t>>();
      const auto want = c["last_logits"].get<std::vector<float>>();
      const auto greedy = c["greedy"].get<std::vector<int32_t>>();
      const auto margin = c["greedy_margin"].get<std::vector<double>>();
      KvCache cache(hp.n_layer, hp.kv_dim(), ref["n_ctx"].get<int64_t>(), KvType::kF32);
      SeqChunk chunk{&cache, tokens};
      fwd.Run({&chunk, 1}, logits);
      ASSERT_EQ(logits.size(), want.size());

      double max_diff = 0, dot = 0, na = 0, nb = 0;
      for (size_t i = 0; i < want.size(); ++i) {
        max_diff = std::max(max_diff, static_cast<double>(std::fabs(logits[i] - want[i])));
        dot += static_cast<double>(logits[i]) * want[i];
        na += static_cast<double>(logits[i]) * logits[i];
        nb += static_cast<double>(want[i]) * want[i];
      }
      EXPECT_GE(dot / std::sqrt(na * nb), 0.999) << "max |diff| " << max_diff;

      // Greedy continuation up to the first step llama.cpp itself was unsure of.
      size_t n_check = greedy.size();
      for (size_t i = 0; i < margin.size(); ++i)
        if (margin[i] < 0.05) {
          n_check = i;
          break;
        }
      for (size_t step = 0; step < n_check; ++step) {
        const int32_t tok = Argmax(logits);
        ASSERT_EQ(tok, greedy[step]) << "greedy step " << step;
        if (step + 1 < n_check) {
          int32_t one[1] = {tok};
          SeqChunk next{&cache, one};
          fwd.Run({&next, 1}, logits);
        }
      }
    }
  });
}

INSTANTIATE_TEST_SUITE_P(LlamaTiny, CudaForwardFixtureTest,
                         ::testing::Values("llama-tiny-F32", "llama-tiny-F16", "llama-tiny-Q8_0", "llama-tiny-Q4_0",
                                           "llama-tiny-Q4_K_M"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string s = info.param;
                           for (char& ch : s)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

}  // namespace
}  // namespace bhasa::native
