// CudaForward, the Program on the GPU over a paged f16 cache, against
// HostPagedForward, its CPU twin, on random models of every architecture and
// several weight types: the same steps (prompts in one call, a prompt whose
// first blocks are shared, batched decode) give logits within the devices'
// rounding of each other, and the ids sampled on the device are the argmax
// of the device's own logits. Skips without a usable GPU.
#ifdef BHASA_HAVE_CUDA

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/native/cuda/cuda_device.h"
#include "backends/native/cuda/cuda_forward.h"
#include "backends/native/gguf_writer.h"
#include "backends/native/host_paged_forward.h"
#include "backends/native/kernels.h"
#include "backends/native/llama_model.h"
#include "backends/native/paged_session.h"
#include "backends/native/random_model.h"
#include "backends/native/sampler.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

constexpr int64_t kVocab = 301;

std::string WriteModel(const std::string& arch, GgmlType type) {
  GgufWriter w;
  w.Add("general.architecture", MetaValue::Str(arch));
  RandomModelSpec spec;
  spec.arch = arch;
  spec.n_vocab = kVocab, spec.n_embd = 256, spec.n_layer = 3, spec.n_head = 4, spec.n_head_kv = 2, spec.n_ff = 512;
  spec.n_ctx = 128, spec.rope_base = 10000, spec.sigma = 0.1, spec.seed = 11;
  spec.type = [type](const std::string&, int64_t) { return type; };
  AddRandomModel(spec, w);
  const std::string path = testing::TempDir(std::string("cuda-forward-") + arch + "-" + TypeName(type)) + "/m.gguf";
  w.Write(path);
  return path;
}

std::vector<int32_t> Tokens(int n, int salt) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back(static_cast<int32_t>((i * 37 + salt * 11 + 1) % kVocab));
  return t;
}

// Cosine and largest difference relative to the largest reference value.
void ExpectClose(std::span<const float> got, std::span<const float> want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double dot = 0, ng = 0, nw = 0, diff = 0, peak = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    dot += static_cast<double>(got[i]) * want[i];
    ng += static_cast<double>(got[i]) * got[i];
    nw += static_cast<double>(want[i]) * want[i];
    diff = std::max(diff, static_cast<double>(std::fabs(got[i] - want[i])));
    peak = std::max(peak, static_cast<double>(std::fabs(want[i])));
  }
  EXPECT_GE(dot / std::sqrt(ng * nw + 1e-30), 0.999) << what;
  EXPECT_LE(diff, 0.05 * peak + 1e-3) << what;
}

struct Case {
  const char* arch;
  GgmlType type;
};

class CudaForwardTwin : public ::testing::TestWithParam<Case> {};

TEST_P(CudaForwardTwin, MatchesTheHostTwin) {
  std::string why;
  if (!cuda::CudaDevice::Get(&why)) GTEST_SKIP() << "no usable CUDA device: " << why;
  const auto [arch, type] = GetParam();
  auto model = Model::Load(WriteModel(arch, type));
  const int64_t nv = model->hparams().n_vocab;
  auto device = cuda::MakeCudaForward(*model, {.gpu_memory_fraction = 0.5, .n_ctx = 128, .n_batch = 64,
                                               .max_batch = 4, .block_tokens = 16});
  const int32_t n_blocks = device->n_blocks();
  PagedSession gpu(std::move(device), 64);
  PagedSession cpu(std::make_unique<HostPagedForward>(*model, CpuKernels(), n_blocks, 16), 64);

  // Runs the same step on both and compares every output row.
  auto both = [&](std::span<const PagedSession::Entry> g, std::span<const PagedSession::Entry> c,
                  std::span<const RowOutput> outs, const std::string& what) {
    std::vector<int32_t> gid, cid;
    std::vector<float> gl, cl;
    gpu.Step(g, outs, gid, gl);
    cpu.Step(c, outs, cid, cl);
    for (size_t r = 0; r < outs.size(); ++r) {
      const std::span<const float> grow(gl.data() + r * nv, nv), crow(cl.data() + r * nv, nv);
      ExpectClose(grow, crow, what + " row " + std::to_string(r));
      if (outs[r].sample) {
        EXPECT_EQ(gid[r], Argmax(grow)) << what << " row " << r;
      }
    }
    return cid;
  };
  RowOutput logits_and_id;
  logits_and_id.logits = logits_and_id.sample = true;

  // Two prompts in one call: every row of the first, the last of the second.
  const auto a = Tokens(37, 1), b = Tokens(20, 2);
  const auto [ga, ra] = gpu.Start(a);
  const auto [ca, rca] = cpu.Start(a);
  const auto [gb, rb] = gpu.Start(b);
  const auto [cb, rcb] = cpu.Start(b);
  ASSERT_EQ(ra + rca + rb + rcb, 0);
  {
    const PagedSession::Entry g[] = {{ga, a, 0}, {gb, b}};
    const PagedSession::Entry c[] = {{ca, a, 0}, {cb, b}};
    std::vector<RowOutput> outs(38, logits_and_id);
    both(g, c, outs, std::string(arch) + " prefill");
  }
  // A prompt beginning with a's 37 tokens maps its two full blocks.
  auto ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  const auto [gc, rc] = gpu.Start(ab);
  const auto [cc, rcc] = cpu.Start(ab);
  ASSERT_EQ(rc, 32);
  ASSERT_EQ(rcc, 32);
  {
    const auto rest = std::span(ab).subspan(32);
    const PagedSession::Entry g[] = {{gc, rest}};
    const PagedSession::Entry c[] = {{cc, rest}};
    both(g, c, {&logits_and_id, 1}, std::string(arch) + " shared prefix");
  }
  // Batched decode of the three, fed the host's greedy tokens.
  std::vector<int32_t> next = {5, 6, 7};
  for (int step = 0; step < 6; ++step) {
    const PagedSession::Entry g[] = {{ga, {&next[0], 1}}, {gb, {&next[1], 1}}, {gc, {&next[2], 1}}};
    const PagedSession::Entry c[] = {{ca, {&next[0], 1}}, {cb, {&next[1], 1}}, {cc, {&next[2], 1}}};
    const std::vector<RowOutput> outs(3, logits_and_id);
    next = both(g, c, outs, std::string(arch) + " decode " + std::to_string(step));
  }
}

INSTANTIATE_TEST_SUITE_P(Archs, CudaForwardTwin,
                         ::testing::Values(Case{"llama", GgmlType::Q8_0}, Case{"llama", GgmlType::Q4_K},
                                           Case{"llama", GgmlType::F16}, Case{"qwen2", GgmlType::Q8_0},
                                           Case{"gemma2", GgmlType::Q8_0}, Case{"gemma2", GgmlType::Q6_K}),
                         [](const auto& info) {
                           return std::string(info.param.arch) + "_" + TypeName(info.param.type);
                         });

}  // namespace
}  // namespace bhasa::native

#endif  // BHASA_HAVE_CUDA
