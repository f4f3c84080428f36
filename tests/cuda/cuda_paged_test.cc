// The kernels of the device-resident forward pass (cuda_paged.h) against
// their host twins at awkward sizes: K/V rows into a paged f16 cache, row
// gathers, row biases and row sampling (sample_math.h's arithmetic, checked
// against the CPU Sampler with the same seed). Skip without a usable GPU.
#ifdef BHASA_HAVE_CUDA

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <cuda_fp16.h>
#include <gtest/gtest.h>

#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/cuda_device.h"
#include "backends/native/cuda/cuda_paged.h"
#include "backends/native/cuda/cuda_resources.h"
#include "backends/native/ggml_types.h"
#include "backends/native/sampler.h"

namespace bhasa::native {
namespace {

#define REQUIRE_GPU(dev)                                      \
  std::string why_no_gpu;                                     \
  cuda::CudaDevice* dev = cuda::CudaDevice::Get(&why_no_gpu); \
  if (!dev) GTEST_SKIP() << "no usable CUDA device: " << why_no_gpu

template <typename T>
cuda::DevicePtr Up(const std::vector<T>& host, cudaStream_t stream) {
  auto p = cuda::DeviceAlloc(host.size() * sizeof(T), "test upload");
  cuda::Check(cudaMemcpyAsync(p.get(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice, stream),
              "cudaMemcpyAsync", "test upload");
  return p;
}

template <typename T>
std::vector<T> Down(const void* dev, size_t n, cudaStream_t stream) {
  std::vector<T> host(n);
  cuda::Check(cudaMemcpyAsync(host.data(), dev, n * sizeof(T), cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync",
              "test download");
  cuda::Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize", "test download");
  return host;
}

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 2.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(CudaPaged, StoreKvWritesEachRowToItsSlotOnly) {
  REQUIRE_GPU(dev);
  auto ctx = dev->contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  const int64_t kv_dim = 200, n = 7, cache_rows = 37;
  const auto k = Random(n * kv_dim, 1), v = Random(n * kv_dim, 2);
  const std::vector<int32_t> slots = {36, 0, 5, 17, 18, 33, 2};
  const std::vector<uint16_t> sentinel(cache_rows * kv_dim, 0x7bff);  // f16 65504
  auto kc = Up(sentinel, stream), vc = Up(sentinel, stream);
  auto kd = Up(k, stream), vd = Up(v, stream), sd = Up(slots, stream);
  cuda::StoreKv(static_cast<const float*>(kd.get()), static_cast<const float*>(vd.get()),
                static_cast<const int32_t*>(sd.get()), n, kv_dim, kc.get(), vc.get(), stream, "test");
  const auto kh = Down<uint16_t>(kc.get(), sentinel.size(), stream), vh = Down<uint16_t>(vc.get(), sentinel.size(), stream);
  std::vector<bool> written(cache_rows, false);
  for (int64_t i = 0; i < n; ++i) {
    written[slots[i]] = true;
    for (int64_t d = 0; d < kv_dim; ++d) {
      ASSERT_EQ(kh[slots[i] * kv_dim + d], Fp32ToFp16(k[i * kv_dim + d])) << "row " << i << " dim " << d;
      ASSERT_EQ(vh[slots[i] * kv_dim + d], Fp32ToFp16(v[i * kv_dim + d])) << "row " << i << " dim " << d;
    }
  }
  for (int64_t r = 0; r < cache_rows; ++r) {
    if (written[r]) continue;
    for (int64_t d = 0; d < kv_dim; ++d) ASSERT_EQ(kh[r * kv_dim + d], 0x7bff) << "untouched row " << r;
  }
}

TEST(CudaPaged, GatherRowsAndAddRowVectorMatchTheHost) {
  REQUIRE_GPU(dev);
  auto ctx = dev->contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  const int64_t width = 333, n_src = 11;
  const auto src = Random(n_src * width, 3), vec = Random(width, 4);
  const std::vector<int32_t> rows = {10, 0, 4, 4, 9};
  auto sd = Up(src, stream), rd = Up(rows, stream), vd = Up(vec, stream);
  auto dd = cuda::DeviceAlloc(rows.size() * width * sizeof(float), "test");
  auto* dst = static_cast<float*>(dd.get());
  cuda::GatherRows(static_cast<const float*>(sd.get()), static_cast<const int32_t*>(rd.get()),
                   static_cast<int64_t>(rows.size()), width, dst, stream, "test");
  cuda::AddRowVector(dst, static_cast<const float*>(vd.get()), static_cast<int64_t>(rows.size()), width, stream, "test");
  const auto got = Down<float>(dst, rows.size() * width, stream);
  for (size_t i = 0; i < rows.size(); ++i)
    for (int64_t d = 0; d < width; ++d)
      ASSERT_EQ(got[i * width + d], src[rows[i] * width + d] + vec[d]) << "row " << i << " dim " << d;
}

TEST(CudaPaged, SampleRowsPicksWhatTheCpuSamplerPicks) {
  REQUIRE_GPU(dev);
  auto ctx = dev->contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  const int64_t n_vocab = 5003;
  const SamplerParams params[] = {
      {.temperature = 0.0f},
      {.temperature = 1.0f},
      {.temperature = 0.7f, .top_k = 40},
      {.temperature = 0.9f, .top_p = 0.8f},
      {.temperature = 1.5f, .top_k = 100, .top_p = 0.95f},
      {.temperature = 0.0f},
      {.temperature = 0.3f, .top_k = 1},
  };
  const int64_t n_rows = std::size(params);
  auto logits = Random(n_rows * n_vocab, 5);
  for (int64_t i = 0; i < n_vocab; i += 3) logits[n_vocab + i] = std::round(logits[n_vocab + i]);  // ties
  logits[3 * n_vocab + 17] = std::nanf("");
  logits[5 * n_vocab + 9] = logits[5 * n_vocab + 4000] = 50.0f;  // greedy tie: the lower id
  auto ld = Up(logits, stream);
  auto scratch = cuda::DeviceAlloc(cuda::SampleScratchBytes(n_rows, n_vocab), "test scratch");
  auto idd = cuda::DeviceAlloc(n_rows * sizeof(int32_t), "test ids");
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::vector<cuda::RowSample> samples;
    std::vector<int32_t> want;
    for (int64_t r = 0; r < n_rows; ++r) {
      SamplerParams p = params[r];
      p.seed = seed * 100 + r;
      Sampler cpu(p), twin(p);
      want.push_back(cpu.Sample({logits.data() + r * n_vocab, static_cast<size_t>(n_vocab)}));
      samples.push_back({{p.temperature, p.top_k, p.top_p}, p.temperature > 0 ? twin.Draw() : 0.0});
    }
    auto sd = Up(samples, stream);
    cuda::SampleRows(static_cast<const float*>(ld.get()), n_rows, n_vocab,
                     static_cast<const cuda::RowSample*>(sd.get()), true, static_cast<int32_t*>(idd.get()),
                     scratch.get(), stream, "test");
    const auto got = Down<int32_t>(idd.get(), n_rows, stream);
    for (int64_t r = 0; r < n_rows; ++r) EXPECT_EQ(got[r], want[r]) << "seed " << seed << " row " << r;
  }
}

}  // namespace
}  // namespace bhasa::native

#endif  // BHASA_HAVE_CUDA
