// Kernels on GPU-resident data (backends/native/cuda/cuda_gemv.h): the decode
// GEMV and the prompt GEMM on block-format weights, against the exact
// product of the dequantized weights and against RefKernels, at awkward
// sizes, with guard values around every output. The argument checks run on
// any CUDA build; the products skip without a usable GPU.
#ifdef BHASA_HAVE_CUDA

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/cuda_device.h"
#include "backends/native/cuda/cuda_gemv.h"
#include "backends/native/cuda/cuda_resources.h"
#include "backends/native/ggml_types.h"
#include "backends/native/kernels.h"
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

}  // namespace
}  // namespace bhasa::native

#endif  // BHASA_HAVE_CUDA
