// Kernels on GPU-resident data (backends/native/cuda/cuda_gemv.h): the decode
// GEMV and the prompt GEMM on block-format weights, against the exact
// product of the dequantized weights and against RefKernels, at awkward
// sizes, with guard values around every output. The argument checks run on
// any CUDA build; the products skip without a usable GPU.
#ifdef BHASA_HAVE_CUDA

#include <cmath>
#include <cstring>
#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/cuda_device.h"
#include "backends/native/cuda/cuda_attention_kernel.h"
#include "backends/native/cuda/cuda_gemv.h"
#include "backends/native/cuda/cuda_ops.h"
#include "backends/native/cuda/cuda_resources.h"
#include "backends/native/cuda/cuda_sample.h"
#include "backends/native/cuda/resident_weights.h"
#include "backends/native/ggml_types.h"
#include "backends/native/kernels.h"
#include "backends/native/kv_cache.h"
#include "backends/native/sampler.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

#define REQUIRE_GPU(dev)                                             \
  std::string why_no_gpu;                                            \
  cuda::CudaDevice* dev = cuda::CudaDevice::Get(&why_no_gpu);        \
  if (!dev) GTEST_SKIP() << "no usable CUDA device: " << why_no_gpu

std::vector<float> Random(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Host bytes → a device allocation.
template <typename T>
cuda::DevicePtr Upload(const std::vector<T>& host, cudaStream_t stream) {
  auto p = cuda::DeviceAlloc(host.size() * sizeof(T), "test upload");
  cuda::Check(cudaMemcpyAsync(p.get(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice, stream),
              "cudaMemcpyAsync", "test upload");
  return p;
}

template <typename T>
std::vector<T> Download(const void* dev, size_t n, cudaStream_t stream) {
  std::vector<T> host(n);
  cuda::Check(cudaMemcpyAsync(host.data(), dev, n * sizeof(T), cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync",
              "test download");
  cuda::Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize", "test download");
  return host;
}

// A random weight of `type` on the host, as a TensorInfo for RefKernels.
struct HostWeight {
  std::vector<uint8_t> bytes;
  TensorInfo info;
  HostWeight(GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
    bytes.resize(RowBytes(type, cols) * rows);
    info.name = std::string("w.") + TypeName(type);
    info.type = type;
    info.ne = {cols, rows};
    info.data = bytes.data();
    info.bytes = bytes.size();
    const auto f = Random(rows * cols, seed, 0.5f);
    for (int64_t r = 0; r < rows; ++r) QuantizeRow(type, f.data() + r * cols, bytes.data() + r * RowBytes(type, cols), cols);
  }
};

constexpr GgmlType kTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0,
                               GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q2_K, GgmlType::Q3_K,
                               GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};

// Fractions of |W row| * |x| the GPU may differ by. Against the exact product:
// Q8_1 activations (dp4a types) round each element to 1/254 of its block's
// largest; the prompt GEMM rounds activations to f16/bf16.
double Tolerance(GgmlType t, bool dp4a) {
  if (t == GgmlType::F32) return 1e-5;
  if (dp4a) return 1.5e-2;
  return t == GgmlType::BF16 ? 8e-3 : 2e-3;
}

enum class Path { kGemv, kGemm };

void CheckProduct(cuda::CudaDevice& dev, Path path, GgmlType type, int64_t rows, int64_t cols, int64_t n_tokens,
                  uint32_t seed) {
  SCOPED_TRACE(std::string(path == Path::kGemv ? "gemv " : "gemm ") + TypeName(type) + " " + std::to_string(rows) +
               "x" + std::to_string(cols) + " tokens " + std::to_string(n_tokens));
  HostWeight w(type, rows, cols, seed);
  const auto x = Random(n_tokens * cols, seed + 1);
  auto ctx = dev.contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  auto w_dev = Upload(w.bytes, stream);
  auto x_dev = Upload(x, stream);
  constexpr int64_t kGuard = 32;
  constexpr float kSentinel = -12345.0f;
  std::vector<float> init(n_tokens * rows + 2 * kGuard, kSentinel);
  auto out_dev = Upload(init, stream);
  float* out = static_cast<float*>(out_dev.get()) + kGuard;

  cuda::DeviceMatrix m{w_dev.get(), type, rows, cols, w.info.row_bytes()};
  const bool dp4a = path == Path::kGemv && cuda::GemvUsesDp4a(type);
  const size_t scratch_bytes = path == Path::kGemv ? cuda::GemvScratchBytes(type, cols, n_tokens)
                                                   : cuda::GemmScratchBytes(m, n_tokens);
  auto scratch = cuda::DeviceAlloc(scratch_bytes, "test scratch");
  const auto* xp = static_cast<const float*>(x_dev.get());
  if (path == Path::kGemv) cuda::Gemv(m, xp, n_tokens, out, scratch.get(), stream, "test");
  else cuda::GemmPrompt(m, xp, n_tokens, out, scratch.get(), ctx->cublas.get(), stream, "test");
  const auto got = Download<float>(out_dev.get(), init.size(), stream);

  for (int64_t i = 0; i < kGuard; ++i) {
    ASSERT_EQ(got[i], kSentinel) << "write before the output at " << i - kGuard;
    ASSERT_EQ(got[kGuard + n_tokens * rows + i], kSentinel) << "write after the output at " << i;
  }
  std::vector<float> ref(n_tokens * rows);
  RefKernels().matmul(w.info, x.data(), n_tokens, ref.data());
  const auto wf = w.info.Dequantize();
  for (int64_t t = 0; t < n_tokens; ++t) {
    double xn = 0;
    for (int64_t c = 0; c < cols; ++c) xn += static_cast<double>(x[t * cols + c]) * x[t * cols + c];
    for (int64_t r = 0; r < rows; ++r) {
      double exact = 0, wn = 0;
      for (int64_t c = 0; c < cols; ++c) {
        exact += static_cast<double>(wf[r * cols + c]) * x[t * cols + c];
        wn += static_cast<double>(wf[r * cols + c]) * wf[r * cols + c];
      }
      const double scale = std::sqrt(wn * xn) + 1e-30;
      const float g = got[kGuard + t * rows + r];
      ASSERT_TRUE(std::isfinite(g)) << "row " << r << " token " << t;
      ASSERT_LE(std::fabs(g - exact) / scale, Tolerance(type, dp4a)) << "row " << r << " token " << t << ": got " << g
                                                                     << ", exact " << exact;
      // The reference rounds activations its own way (Q8_0/Q8_K, f16).
      ASSERT_LE(std::fabs(g - ref[t * rows + r]) / scale, 2e-2) << "row " << r << " token " << t;
    }
  }
}

TEST(CudaResident, ArgumentErrorsComeBeforeAnyWork) {
  cuda::DeviceMatrix m{nullptr, GgmlType::Q4_K, 4, 256, RowBytes(GgmlType::Q4_K, 256)};
  EXPECT_THROW(cuda::Gemv(m, nullptr, cuda::kGemvMaxTokens + 1, nullptr, nullptr, nullptr, "w"), Error);
  EXPECT_THROW(cuda::Gemv(m, nullptr, -1, nullptr, nullptr, nullptr, "w"), Error);
  m.type = GgmlType::Q4_1;
  EXPECT_FALSE(cuda::DeviceMatmulSupports(GgmlType::Q4_1));
  try {
    cuda::Gemv(m, nullptr, 1, nullptr, nullptr, nullptr, "blk.0.ffn_up");
    FAIL() << "no error for Q4_1";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("blk.0.ffn_up"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("q4_1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(cuda::GemvScratchBytes(GgmlType::F16, 4096, 8), 0u);
  EXPECT_EQ(cuda::GemvScratchBytes(GgmlType::Q4_K, 4096, 2), 2u * 128 * 40);
}

TEST(CudaResident, GemvMatchesTheExactProductForEveryType) {
  REQUIRE_GPU(dev);
  uint32_t seed = 1;
  for (GgmlType type : kTypes)
    for (int64_t n_tokens : {int64_t{1}, int64_t{3}, cuda::kGemvMaxTokens})
      CheckProduct(*dev, Path::kGemv, type, 67, 768, n_tokens, seed++);
}

TEST(CudaResident, GemmMatchesTheExactProductForEveryType) {
  REQUIRE_GPU(dev);
  uint32_t seed = 100;
  for (GgmlType type : kTypes)
    for (int64_t n_tokens : {1, 9, 37}) CheckProduct(*dev, Path::kGemm, type, 67, 512, n_tokens, seed++);
}


// ---- element-wise and row-wise operations against RefKernels ------------------

// Lengths around warp and block sizes.
constexpr int64_t kLengths[] = {1, 31, 33, 255, 257, 4097};

void ExpectClose(const std::vector<float>& got, const std::vector<float>& want, float rel, float abs,
                 const std::string& op) {
  ASSERT_EQ(got.size(), want.size()) << op;
  for (size_t i = 0; i < want.size(); ++i)
    ASSERT_NEAR(got[i], want[i], abs + rel * std::fabs(want[i])) << op << " element " << i << " of " << want.size();
}

TEST(CudaResident, ElementwiseOpsMatchTheReference) {
  REQUIRE_GPU(dev);
  auto ctx = dev->contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  const Kernels& ref = RefKernels();
  for (int64_t n : kLengths) {
    SCOPED_TRACE("n " + std::to_string(n));
    const auto a = Random(n, 7 + n, 3.0f), b = Random(n, 8 + n, 2.0f);
    auto da = Upload(a, stream), db = Upload(b, stream), dout = Upload(std::vector<float>(n, 0.0f), stream);
    auto* pa = static_cast<float*>(da.get());
    auto* pb = static_cast<float*>(db.get());
    auto* po = static_cast<float*>(dout.get());
    std::vector<float> want(n);

    ref.swiglu(a.data(), b.data(), n, want.data());
    cuda::Swiglu(pa, pb, n, po, stream, "swiglu");
    ExpectClose(Download<float>(po, n, stream), want, 1e-5f, 1e-6f, "swiglu");

    ref.geglu(a.data(), b.data(), n, want.data());
    cuda::Geglu(pa, pb, n, po, stream, "geglu");
    ExpectClose(Download<float>(po, n, stream), want, 2e-3f, 2e-3f, "geglu");  // the reference is an f16 table

    want = a;
    ref.softcap(want.data(), n, 2.5f);
    cuda::Check(cudaMemcpyAsync(po, pa, n * sizeof(float), cudaMemcpyDeviceToDevice, stream), "copy", "softcap");
    cuda::Softcap(po, n, 2.5f, stream, "softcap");
    ExpectClose(Download<float>(po, n, stream), want, 1e-6f, 1e-6f, "softcap");

    want = a;
    ref.scale(want.data(), n, 0.37f);
    cuda::Check(cudaMemcpyAsync(po, pa, n * sizeof(float), cudaMemcpyDeviceToDevice, stream), "copy", "scale");
    cuda::Scale(po, n, 0.37f, stream, "scale");
    ExpectClose(Download<float>(po, n, stream), want, 0.0f, 0.0f, "scale");

    want = a;
    ref.add(want.data(), b.data(), n);
    cuda::Check(cudaMemcpyAsync(po, pa, n * sizeof(float), cudaMemcpyDeviceToDevice, stream), "copy", "add");
    cuda::Add(po, pb, n, stream, "add");
    ExpectClose(Download<float>(po, n, stream), want, 0.0f, 0.0f, "add");
  }
}

TEST(CudaResident, RmsNormMatchesTheReferenceRowByRow) {
  REQUIRE_GPU(dev);
  auto ctx = dev->contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  for (int64_t n : kLengths) {
    const int64_t rows = 3;
    const auto x = Random(rows * n, 20 + n, 4.0f), w = Random(n, 21 + n);
    std::vector<float> want(rows * n);
    for (int64_t r = 0; r < rows; ++r) RefKernels().rmsnorm(x.data() + r * n, w.data(), n, 1e-5f, want.data() + r * n);
    auto dx = Upload(x, stream), dw = Upload(w, stream);
    auto* px = static_cast<float*>(dx.get());
    cuda::RmsNorm(px, static_cast<const float*>(dw.get()), rows, n, 1e-5f, px, stream, "rmsnorm in place");
    ExpectClose(Download<float>(px, rows * n, stream), want, 1e-5f, 1e-6f, "rmsnorm n " + std::to_string(n));
  }
}

TEST(CudaResident, RopeMatchesTheReferenceForEveryVariant) {
  REQUIRE_GPU(dev);
  auto ctx = dev->contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  const int64_t n_tokens = 5, n_heads = 3, head_dim = 96;
  const std::vector<int32_t> pos = {0, 1, 17, 1000, 8191};
  std::vector<float> factors(head_dim / 2);
  for (size_t i = 0; i < factors.size(); ++i) factors[i] = 1.0f + 0.25f * static_cast<float>(i % 5);
  auto dpos = Upload(pos, stream), dfactors = Upload(factors, stream);
  for (bool neox : {false, true})
    for (int64_t rope_dim : {head_dim, int64_t{64}})
      for (bool with_factors : {false, true}) {
        SCOPED_TRACE("neox " + std::to_string(neox) + " rope_dim " + std::to_string(rope_dim) + " factors " +
                     std::to_string(with_factors));
        RopeParams rp{rope_dim, 500000.0f, with_factors ? factors.data() : nullptr, neox};
        auto want = Random(n_tokens * n_heads * head_dim, 30);
        auto dx = Upload(want, stream);
        RefKernels().rope(want.data(), n_tokens, n_heads, head_dim, pos.data(), rp);
        cuda::DeviceRope dp{rope_dim, rp.freq_base, with_factors ? static_cast<const float*>(dfactors.get()) : nullptr,
                            neox};
        cuda::Rope(static_cast<float*>(dx.get()), n_tokens, n_heads, head_dim,
                   static_cast<const int32_t*>(dpos.get()), dp, stream, "rope");
        // Same angles; cosf/sinf of angles up to ~8e3 may differ by an ulp of the angle.
        ExpectClose(Download<float>(dx.get(), want.size(), stream), want, 1e-4f, 5e-4f, "rope");
      }
}

TEST(CudaResident, GetRowsDecodesExactlyAndChecksIds) {
  REQUIRE_GPU(dev);
  auto ctx = dev->contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  const std::vector<int32_t> ids = {5, 0, 66, 5, 31};
  auto dids = Upload(ids, stream);
  for (GgmlType type : kTypes) {
    SCOPED_TRACE(TypeName(type));
    HostWeight w(type, 67, 512, 40);
    auto dw = Upload(w.bytes, stream);
    cuda::DeviceMatrix m{dw.get(), type, 67, 512, w.info.row_bytes()};
    std::vector<float> want(ids.size() * 512);
    RefKernels().get_rows(w.info, ids.data(), static_cast<int64_t>(ids.size()), want.data());
    auto dout = cuda::DeviceAlloc(want.size() * sizeof(float), "rows");
    cuda::CheckRowIds(m, ids.data(), static_cast<int64_t>(ids.size()), "token_embd");
    cuda::GetRows(m, static_cast<const int32_t*>(dids.get()), static_cast<int64_t>(ids.size()),
                  static_cast<float*>(dout.get()), stream, "token_embd");
    ExpectClose(Download<float>(dout.get(), want.size(), stream), want, 0.0f, 0.0f, "get_rows");
    const int32_t bad[] = {3, 67};
    EXPECT_THROW(cuda::CheckRowIds(m, bad, 2, "token_embd"), Error);
  }
}

// ---- attention: window, soft-cap and a paged cache ------------------------------

struct AttentionCase {
  bool f16;
  int64_t window;
  float softcap;
  bool paged;
};

void CheckAttention(cuda::CudaDevice& dev, const AttentionCase& c) {
  SCOPED_TRACE("f16 " + std::to_string(c.f16) + " window " + std::to_string(c.window) + " softcap " +
               std::to_string(c.softcap) + " paged " + std::to_string(c.paged));
  const int64_t n_head = 8, n_head_kv = 2, hd = 64, stride = n_head_kv * hd, n_pos = 300, n_tok = 19;
  KvCache cache(1, stride, 512, c.f16 ? KvType::kF16 : KvType::kF32);
  cache.Reserve(n_pos);
  const auto kv = Random(2 * n_pos * stride, 50);
  cache.Write(0, 0, kv.data(), kv.data() + n_pos * stride, n_pos, stride);
  cache.Commit(n_pos);
  const auto q = Random(n_tok * n_head * hd, 51, 2.0f);
  std::vector<int32_t> pos(n_tok);
  for (int64_t t = 0; t < n_tok; ++t) pos[t] = static_cast<int32_t>(n_pos - 1 - 7 * t);  // decode-like rows
  std::vector<float> want(q.size());
  AttentionArgs ra{q.data(), n_tok, pos.data(), cache.View(0), n_head, n_head_kv, hd, 0.125f, want.data(),
                   c.window, c.softcap};
  RefKernels().attention(ra);

  // The cache as the device sees it: contiguous, or its positions scattered
  // over blocks in a shuffled order with one table shared by every row.
  const size_t elem = c.f16 ? 2 : 4;
  const auto* k_host = static_cast<const uint8_t*>(cache.View(0).k);
  const auto* v_host = static_cast<const uint8_t*>(cache.View(0).v);
  const int64_t bt = 16, n_blocks = (n_pos + bt - 1) / bt;
  std::vector<int32_t> table(n_blocks);
  std::iota(table.begin(), table.end(), 0);
  if (c.paged) std::shuffle(table.begin(), table.end(), std::mt19937(52));
  const int64_t pool_rows = n_blocks * bt;
  std::vector<uint8_t> k_pool(pool_rows * stride * elem), v_pool(k_pool.size());
  for (int64_t p = 0; p < n_pos; ++p) {
    const int64_t row = c.paged ? table[p / bt] * bt + p % bt : p;
    std::memcpy(k_pool.data() + row * stride * elem, k_host + p * stride * elem, stride * elem);
    std::memcpy(v_pool.data() + row * stride * elem, v_host + p * stride * elem, stride * elem);
  }
  auto ctx = dev.contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  auto dq = Upload(q, stream), dk = Upload(k_pool, stream), dv = Upload(v_pool, stream);
  auto dpos = Upload(pos, stream), dtable = Upload(table, stream);
  auto dout = Upload(std::vector<float>(q.size(), -7.0f), stream);
  cuda::DeviceAttention d;
  d.q = static_cast<const float*>(dq.get());
  d.pos = static_cast<const int32_t*>(dpos.get());
  d.k = dk.get();
  d.v = dv.get();
  d.f16 = c.f16;
  d.stride = stride;
  d.n_kv = n_pos;
  d.n_tokens = n_tok;
  d.n_head = n_head;
  d.n_head_kv = n_head_kv;
  d.head_dim = hd;
  d.scale = 0.125f;
  d.out = static_cast<float*>(dout.get());
  d.window = c.window;
  d.softcap = c.softcap;
  if (c.paged) {
    d.block_table = static_cast<const int32_t*>(dtable.get());
    d.block_tokens = bt;
  }
  cuda::LaunchAttention(d, stream, "attention test");
  ExpectClose(Download<float>(dout.get(), q.size(), stream), want, 0.0f, c.f16 ? 2e-3f : 1e-5f, "attention");
}

TEST(CudaResident, AttentionWithWindowSoftcapAndBlockTablesMatchesTheReference) {
  REQUIRE_GPU(dev);
  for (bool f16 : {false, true})
    for (int64_t window : {int64_t{0}, int64_t{40}})
      for (float softcap : {0.0f, 20.0f})
        for (bool paged : {false, true}) CheckAttention(*dev, {f16, window, softcap, paged});
}

// ---- the resident weight store ---------------------------------------------------

TEST(CudaResident, StoreUploadsOnceInBlockFormatAndFindsByTensor) {
  REQUIRE_GPU(dev);
  auto ctx = dev->contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  std::vector<HostWeight> ws;
  ws.reserve(4);
  ws.emplace_back(GgmlType::Q4_K, 64, 512, 70);
  ws.emplace_back(GgmlType::F16, 64, 256, 71);
  ws.back().info.permute_heads = 4;  // an HF q projection: rows read through Row
  ws.emplace_back(GgmlType::Q6_K, 33, 256, 72);
  ws.emplace_back(GgmlType::Q8_0, 64, 256, 73);
  ws.back().info.permute_heads = 2;
  std::vector<TensorInfo> infos;
  for (const auto& w : ws) infos.push_back(w.info);
  TensorInfo norm;  // 1-D: stays on the host
  norm.type = GgmlType::F32;
  norm.ne = {64};
  infos.push_back(norm);

  cuda::ResidentWeights store(infos, "test model", 0.9, 0, stream);
  size_t file_bytes = 0;
  for (const auto& w : ws) file_bytes += w.bytes.size();
  EXPECT_GE(store.bytes(), file_bytes);
  EXPECT_LT(store.bytes(), file_bytes + 256 * ws.size());  // block format, not expanded
  EXPECT_EQ(store.Find(infos.back()), nullptr);
  EXPECT_EQ(store.Find(ws[0].info), nullptr);  // another TensorInfo object

  for (size_t i = 0; i < ws.size(); ++i) {
    const TensorInfo& w = infos[i];
    SCOPED_TRACE(w.name);
    const cuda::DeviceMatrix* m = store.Find(w);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->type, w.type);
    EXPECT_EQ(m->rows, w.rows());
    const auto x = Random(2 * w.cols(), 80 + static_cast<uint32_t>(i));
    auto dx = Upload(x, stream);
    auto dout = cuda::DeviceAlloc(2 * w.rows() * sizeof(float), "out");
    auto scratch = cuda::DeviceAlloc(cuda::GemvScratchBytes(w.type, w.cols(), 2), "scratch");
    cuda::Gemv(*m, static_cast<const float*>(dx.get()), 2, static_cast<float*>(dout.get()), scratch.get(), stream,
               w.name);
    std::vector<float> want(2 * w.rows());
    RefKernels().matmul(w, x.data(), 2, want.data());
    // Q8_1 against Q8_0/Q8_K activations: both round, differently.
    ExpectClose(Download<float>(dout.get(), want.size(), stream), want, 3e-2f, 0.15f, "resident gemv");
  }
}

TEST(CudaResident, StoreRefusesAModelOverTheBudgetBeforeAllocating) {
  REQUIRE_GPU(dev);
  auto ctx = dev->contexts().Acquire();
  HostWeight w(GgmlType::Q4_K, 64, 512, 90);
  std::vector<TensorInfo> infos = {w.info};
  try {
    cuda::ResidentWeights store(infos, "big.gguf", 1e-12, 0, ctx->stream.get());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("big.gguf does not fit on the GPU"), std::string::npos) << e.what();
  }
}

// ---- greedy sampling ----------------------------------------------------------------

TEST(CudaResident, ArgmaxRowsAgreesWithArgmaxOnTiesAndNaN) {
  REQUIRE_GPU(dev);
  auto ctx = dev->contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  for (int64_t n_vocab : {int64_t{1}, int64_t{255}, int64_t{257}, int64_t{128256}}) {
    SCOPED_TRACE("n_vocab " + std::to_string(n_vocab));
    const int64_t rows = 5;
    auto logits = Random(rows * n_vocab, 60 + static_cast<uint32_t>(n_vocab));
    // Row 1: a tie between two ids far apart; row 2: NaNs around the maximum;
    // row 3: all NaN; row 4: all equal.
    if (n_vocab > 200) {
      logits[n_vocab + 190] = logits[n_vocab + 7] = 50.0f;
      logits[2 * n_vocab + 3] = 40.0f;
      logits[2 * n_vocab + 0] = logits[2 * n_vocab + 100] = std::nanf("");
    }
    std::fill(logits.begin() + 3 * n_vocab, logits.begin() + 4 * n_vocab, std::nanf(""));
    std::fill(logits.begin() + 4 * n_vocab, logits.end(), -1.0f);
    auto dl = Upload(logits, stream);
    auto dids = cuda::DeviceAlloc(rows * sizeof(int32_t), "ids");
    cuda::ArgmaxRows(static_cast<const float*>(dl.get()), rows, n_vocab, static_cast<int32_t*>(dids.get()), stream,
                     "argmax");
    const auto got = Download<int32_t>(dids.get(), rows, stream);
    for (int64_t r = 0; r < rows; ++r)
      EXPECT_EQ(got[r], Argmax(std::span<const float>(logits.data() + r * n_vocab, n_vocab))) << "row " << r;
  }
}

}  // namespace
}  // namespace bhasa::native

#endif  // BHASA_HAVE_CUDA
