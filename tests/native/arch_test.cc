// Architectures on generated models: every registered family loads a random
// model of its own layout, its builder lists the ops that set it apart,
// chunked prefill and batched decode equal one-by-one evaluation, and a file
// that lacks a required tensor or key fails naming it.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include "backends/native/arch/arch.h"
#include "backends/native/forward.h"
#include "backends/native/gguf_writer.h"
#include "backends/native/kernels.h"
#include "backends/native/llama_model.h"
#include "backends/native/random_model.h"
#include "backends/native/session.h"
#include "common/error.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

constexpr int64_t kVocab = 48;

// A random model of `arch` (F32 or Q8_0 weights), 4 layers so that Gemma 2
// has two sliding layers; window 4 so short prompts cross it. `drop_tensor`
// and `drop_key` leave one entry out.
std::string WriteModel(const std::string& arch, GgmlType type, const std::string& drop_tensor = "",
                       const std::string& drop_key = "", int64_t n_layer = 4) {
  GgufWriter full;
  RandomModelSpec spec;
  spec.arch = arch;
  spec.n_vocab = kVocab, spec.n_embd = 64, spec.n_layer = n_layer, spec.n_head = 4, spec.n_head_kv = 2, spec.n_ff = 96;
  spec.head_dim = arch == "gemma2" ? 32 : 0;  // Gemma 2's q_dim differs from n_embd
  spec.n_ctx = 64, spec.rope_base = 10000, spec.sigma = 0.2, spec.seed = 7;
  spec.type = [type](const std::string&, int64_t) { return type; };
  AddRandomModel(spec, full);
  const std::string dir = testing::TempDir("arch-" + arch + "-" + std::to_string(n_layer));
  full.Write(dir + "/full.gguf");

  // Copy, overriding the window and leaving out what was asked.
  auto src = ModelFile::Open(dir + "/full.gguf");
  GgufWriter w;
  w.Add("general.architecture", MetaValue::Str(arch));
  for (const auto& [k, v] : src->metadata()) {
    if (k == drop_key || k == "general.architecture") continue;
    w.Add(k, k == arch + ".attention.sliding_window" ? MetaValue::Int(GgufValueType::kUint32, 4) : v);
  }
  for (const auto& t : src->tensors())
    if (t.name != drop_tensor) w.AddTensorBytes(t.name, t.type, t.ne, std::vector<uint8_t>(t.data, t.data + t.bytes));
  const std::string path = dir + "/model.gguf";
  w.Write(path);
  return path;
}

std::vector<int32_t> Prompt(int n, int salt) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back((i * 7 + salt * 13 + 1) % kVocab);
  return t;
}

std::map<Op, int> CountOps(const Program& p) {
  std::map<Op, int> n;
  for (const Step& s : p.steps) n[s.op]++;
  return n;
}

class ArchTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ArchTest, RandomModelLoadsWithItsOwnOptions) {
  const std::string arch = GetParam();
  auto model = Model::Load(WriteModel(arch, GgmlType::F32));
  EXPECT_EQ(model->architecture().name, arch);
  const ArchOptions& o = model->options();
  const auto ops = CountOps(model->program());
  EXPECT_EQ(ops.at(Op::kAttention), 4);
  EXPECT_EQ(ops.at(Op::kKeepOutputRows), 1);
  if (arch == "llama") {
    EXPECT_FALSE(o.rope_neox);
    EXPECT_FALSE(model->tied());
    EXPECT_EQ(ops.count(Op::kAddBias), 0u);
    EXPECT_EQ(ops.at(Op::kNorm), 2 * 4 + 1);
  } else if (arch == "qwen2") {
    EXPECT_TRUE(o.rope_neox);
    EXPECT_TRUE(o.qkv_bias);
    EXPECT_EQ(ops.at(Op::kAddBias), 3 * 4);
  } else if (arch == "gemma2") {
    EXPECT_TRUE(o.rope_neox && o.post_norms && model->tied());
    EXPECT_EQ(o.activation, Activation::kGeluTanh);
    EXPECT_FLOAT_EQ(o.embd_scale, 8.0f);
    EXPECT_FLOAT_EQ(o.q_scale, 1.0f / std::sqrt(32.0f));
    EXPECT_EQ(o.sliding_window, 4);
    EXPECT_EQ(o.sliding, (std::vector<bool>{true, false, true, false}));
    EXPECT_EQ(ops.at(Op::kNorm), 4 * 4 + 1);
    EXPECT_EQ(ops.at(Op::kSoftcap), 1);
    int windowed = 0;
    for (const Step& s : model->program().steps)
      if (s.op == Op::kAttention) {
        EXPECT_FLOAT_EQ(s.softcap, 50.0f);
        windowed += s.window == 4;
      }
    EXPECT_EQ(windowed, 2);
  }
}

// Each row of a batch is computed independently: chunked prefill of several
// sequences and their batched decode give the same logits, bit for bit, as
// each sequence evaluated alone (prompt in one call, then one token).
TEST_P(ArchTest, ChunkedPrefillAndBatchedDecodeMatchOneByOne) {
  auto model = Model::Load(WriteModel(GetParam(), GgmlType::Q8_0));
  tbb::task_arena arena(2);
  arena.execute([&] {
    std::vector<std::vector<float>> want;
    for (int s = 0; s < 3; ++s) {
      Session one(*model, CpuKernels(), {.n_ctx = 64});
      const int id = one.Add();
      const auto p = Prompt(5 + 4 * s, s);
      SeqTokens st{id, p};
      ASSERT_EQ(one.Step({&st, 1})[0], "");
      const int32_t next[1] = {static_cast<int32_t>(s + 2)};
      SeqTokens dt{id, next};
      ASSERT_EQ(one.Step({&dt, 1})[0], "");
      auto l = one.Logits(id);
      want.emplace_back(l.begin(), l.end());
    }
    Session many(*model, CpuKernels(), {.n_ctx = 64, .n_batch = 4});
    std::vector<int> ids = {many.Add(), many.Add(), many.Add()};
    std::vector<std::vector<int32_t>> prompts = {Prompt(5, 0), Prompt(9, 1), Prompt(13, 2)};
    std::vector<SeqTokens> steps;
    for (int s = 0; s < 3; ++s) steps.push_back({ids[s], prompts[s]});
    for (const auto& e : many.Step(steps)) ASSERT_EQ(e, "");
    std::vector<int32_t> next = {2, 3, 4};
    steps.clear();
    for (int s = 0; s < 3; ++s) steps.push_back({ids[s], {&next[s], 1}});
    for (const auto& e : many.Step(steps)) ASSERT_EQ(e, "");
    for (int s = 0; s < 3; ++s) {
      auto l = many.Logits(ids[s]);
      EXPECT_EQ(std::vector<float>(l.begin(), l.end()), want[s]) << "sequence " << s;
    }
  });
}

// The scalar reference table and the SIMD table run the same program.
TEST_P(ArchTest, CpuTableMatchesReferenceTable) {
  auto model = Model::Load(WriteModel(GetParam(), GgmlType::F32));
  const auto p = Prompt(11, 5);
  auto run = [&](const Kernels& k) {
    Forward f(*model, k);
    KvCache cache(model->hparams().n_layer, model->hparams().kv_dim(), 64, KvType::kF32);
    SeqChunk c{&cache, p, true};
    std::vector<float> logits;
    f.Run({&c, 1}, logits);
    return logits;
  };
  const auto ref = run(RefKernels()), cpu = run(CpuKernels());
  ASSERT_EQ(ref.size(), p.size() * kVocab);
  for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(cpu[i], ref[i], 2e-3f * (1 + std::fabs(ref[i]))) << i;
}

INSTANTIATE_TEST_SUITE_P(Registered, ArchTest, ::testing::Values("llama", "qwen2", "gemma2"),
                         [](const auto& info) { return info.param; });

// Gemma 2 27B (46 layers) pre-scales queries by 1/sqrt(n_embd / n_head), the
// others by 1/sqrt(head_dim), as llama.cpp does for lack of a GGUF key.
TEST(Arch, Gemma2QueryScaleFollowsTheModelSize) {
  auto small = Model::Load(WriteModel("gemma2", GgmlType::F32));
  EXPECT_FLOAT_EQ(small->options().q_scale, 1.0f / std::sqrt(32.0f));  // head_dim
  auto big = Model::Load(WriteModel("gemma2", GgmlType::F32, "", "", 46));
  EXPECT_FLOAT_EQ(big->options().q_scale, 1.0f / std::sqrt(16.0f));  // n_embd 64 / 4 heads
}

// Without the optional keys, Gemma 2 takes llama.cpp's defaults.
TEST(Arch, Gemma2DefaultsWhenOptionalKeysAreAbsent) {
  std::string path = WriteModel("gemma2", GgmlType::F32, "", "gemma2.attn_logit_softcapping");
  auto m = Model::Load(path);
  EXPECT_EQ(m->options().attn_softcap, 50.0f);
  path = WriteModel("gemma2", GgmlType::F32, "", "gemma2.attention.sliding_window");
  EXPECT_EQ(Model::Load(path)->options().sliding_window, 4096);
}

TEST(Arch, RegistryListsTheThreeFamilies) {
  EXPECT_EQ(ArchitectureNames(), (std::vector<std::string>{"gemma2", "llama", "qwen2"}));
  EXPECT_EQ(FindArchitecture("mamba"), nullptr);
}

// A file that declares a family but lacks what that family requires fails
// at load, naming the file and the missing tensor or key.
TEST(Arch, MissingRequiredTensorOrKeyIsNamed) {
  struct Case {
    std::string arch, tensor, key, expect;
  };
  const std::vector<Case> cases = {
      {"qwen2", "blk.2.attn_k.bias", "", "blk.2.attn_k.bias"},
      {"qwen2", "", "qwen2.block_count", "qwen2.block_count"},
      {"gemma2", "blk.1.post_ffw_norm.weight", "", "blk.1.post_ffw_norm.weight"},
      {"gemma2", "blk.3.post_attention_norm.weight", "", "blk.3.post_attention_norm.weight"},
      {"gemma2", "", "gemma2.attention.head_count", "gemma2.attention.head_count"},
      {"llama", "blk.0.ffn_gate.weight", "", "blk.0.ffn_gate.weight"},
      {"llama", "", "llama.embedding_length", "llama.embedding_length"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.arch + " without " + c.tensor + c.key);
    const std::string path = WriteModel(c.arch, GgmlType::F32, c.tensor, c.key);
    try {
      Model::Load(path);
      ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.expect), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

// Llama 3.1's rope scaling given as rope.scaling.* keys (HF directories,
// converters that leave rope_freqs out) gives the divisors llama31-tiny
// stores in rope_freqs.weight, and the same logits.
TEST(Arch, Llama3RopeScalingKeysEqualTheRopeFreqsTensor) {
  const std::string rel = "fixtures/llama31-tiny/models/llama31-tiny-F32.gguf";
  BHASA_REQUIRE_SHARED(rel);
  auto with_tensor = Model::Load(testing::SharedDir() + "/" + rel);
  const ModelFile& src = with_tensor->file();
  GgufWriter w;
  for (const auto& [k, v] : src.metadata()) w.Add(k, v);
  w.Add("llama.rope.scaling.type", MetaValue::Str("llama3"));
  w.Add("llama.rope.scaling.factor", MetaValue::Float(GgufValueType::kFloat32, 8.0));
  w.Add("llama.rope.scaling.low_freq_factor", MetaValue::Float(GgufValueType::kFloat32, 1.0));
  w.Add("llama.rope.scaling.high_freq_factor", MetaValue::Float(GgufValueType::kFloat32, 4.0));
  w.Add("llama.rope.scaling.original_context_length", MetaValue::Int(GgufValueType::kUint32, 8192));
  for (const auto& t : src.tensors())
    if (t.name != "rope_freqs.weight")
      w.AddTensorBytes(t.name, t.type, t.ne, std::vector<uint8_t>(t.data, t.data + t.bytes));
  const std::string path = testing::TempDir("arch-llama3-keys") + "/model.gguf";
  w.Write(path);
  auto with_keys = Model::Load(path);

  const auto a = with_tensor->freq_factors(), b = with_keys->freq_factors();
  ASSERT_EQ(a.size(), 32u);
  ASSERT_EQ(b.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(b[i], a[i], 1e-6f * a[i]) << i;
  EXPECT_GT(a.back(), 1.0f) << "the fixture's low frequencies are scaled";

  const auto p = Prompt(40, 9);
  auto run = [&](const Model& m) {
    Forward f(m, CpuKernels());
    KvCache cache(m.hparams().n_layer, m.hparams().kv_dim(), 64, KvType::kF32);
    SeqChunk c{&cache, p};
    std::vector<float> logits;
    f.Run({&c, 1}, logits);
    return logits;
  };
  const auto la = run(*with_tensor), lb = run(*with_keys);
  for (size_t i = 0; i < la.size(); ++i) ASSERT_NEAR(lb[i], la[i], 1e-5f) << i;
}

TEST(Arch, UnsupportedArchitectureListsTheSupportedOnes) {
  GgufWriter w;
  w.Add("general.architecture", MetaValue::Str("mamba"));
  const std::string path = testing::TempDir("arch-mamba") + "/m.gguf";
  w.Write(path);
  try {
    Model::Load(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'mamba' is not supported (supported: gemma2, llama, qwen2)"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bhasa::native
