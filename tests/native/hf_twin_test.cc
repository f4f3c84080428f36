// Hugging Face directories of each architecture (config.json model_type
// llama, qwen2, gemma2 + model.safetensors) load as the same model as their
// GGUF twin: the directory here is written from a random GGUF
// (random_arch_model.h) the way the
// published checkpoints store it (HF tensor names, llama's q/k rows in HF's
// rotate-half order, Gemma's norms as w rather than 1 + w, Llama 3.1's rope
// scaling in config.json), and both give the same descriptor and logits.
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>

#include "backends/native/forward.h"
#include "backends/native/kv_cache.h"
#include "backends/native/llama_model.h"
#include "common/error.h"
#include "tests/native/random_arch_model.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

using nlohmann::json;

using testing::kRandomCtx, testing::kRandomEmbd, testing::kRandomFf, testing::kRandomHeads,
    testing::kRandomKvHeads, testing::kRandomLayers, testing::kRandomVocab, testing::kRandomWindow;

json Config(const std::string& arch) {
  json c = {{"model_type", arch},
            {"hidden_size", kRandomEmbd},
            {"num_attention_heads", kRandomHeads},
            {"num_key_value_heads", kRandomKvHeads},
            {"num_hidden_layers", kRandomLayers},
            {"intermediate_size", kRandomFf},
            {"vocab_size", kRandomVocab},
            {"rms_norm_eps", 1e-5},
            {"rope_theta", 10000.0},
            {"max_position_embeddings", kRandomCtx}};
  if (arch == "llama")
    c["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                         {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 32}};
  if (arch == "gemma2") {
    c["head_dim"] = testing::RandomHeadDim(arch);
    c["attn_logit_softcapping"] = 50.0;
    c["final_logit_softcapping"] = 30.0;
    c["sliding_window"] = kRandomWindow;
  }
  return c;
}

// The checkpoint name of GGUF tensor `name`, spelt out per family.
std::string HfName(const std::string& arch, const std::string& name) {
  static const std::map<std::string, std::string> kTop = {{"token_embd.weight", "model.embed_tokens.weight"},
                                                         {"output_norm.weight", "model.norm.weight"},
                                                         {"output.weight", "lm_head.weight"}};
  if (auto it = kTop.find(name); it != kTop.end()) return it->second;
  const size_t dot = name.find('.', 4);
  const std::string layer = name.substr(4, dot - 4), rest = name.substr(dot + 1);
  std::map<std::string, std::string> block = {
      {"attn_norm.weight", "input_layernorm.weight"},   {"attn_q.weight", "self_attn.q_proj.weight"},
      {"attn_k.weight", "self_attn.k_proj.weight"},     {"attn_v.weight", "self_attn.v_proj.weight"},
      {"attn_output.weight", "self_attn.o_proj.weight"}, {"ffn_gate.weight", "mlp.gate_proj.weight"},
      {"ffn_up.weight", "mlp.up_proj.weight"},          {"ffn_down.weight", "mlp.down_proj.weight"},
      {"attn_q.bias", "self_attn.q_proj.bias"},         {"attn_k.bias", "self_attn.k_proj.bias"},
      {"attn_v.bias", "self_attn.v_proj.bias"}};
  if (arch == "gemma2") {
    block["ffn_norm.weight"] = "pre_feedforward_layernorm.weight";
    block["post_attention_norm.weight"] = "post_attention_layernorm.weight";
    block["post_ffw_norm.weight"] = "post_feedforward_layernorm.weight";
  } else {
    block["ffn_norm.weight"] = "post_attention_layernorm.weight";
  }
  return "model.layers." + layer + "." + block.at(rest);
}

// GGUF rows of one head are HF's rows interleaved (the converter's permute
// for llama): GGUF row 2i + j of a head is HF row j * head_dim / 2 + i.
std::vector<float> UnpermuteHeads(const std::vector<float>& gguf, int64_t cols, int64_t heads) {
  const int64_t rows = static_cast<int64_t>(gguf.size()) / cols, hd = rows / heads;
  std::vector<float> hf(gguf.size());
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < hd / 2; ++i)
      for (int64_t j = 0; j < 2; ++j)
        std::memcpy(&hf[(h * hd + j * hd / 2 + i) * cols], &gguf[(h * hd + 2 * i + j) * cols], cols * sizeof(float));
  return hf;
}

// Writes the HF directory twin of the GGUF at `gguf` into `dir`, leaving
// out the tensor whose GGUF name is `drop`.
void WriteHfDir(const std::string& arch, const std::string& gguf, const std::string& dir,
                const std::string& drop = "") {
  std::ofstream(dir + "/config.json") << Config(arch).dump();
  auto src = ModelFile::Open(gguf);
  json header = json::object();
  std::vector<uint8_t> data;
  for (const auto& t : src->tensors()) {
    if (t.name == drop) continue;
    std::vector<float> v = t.Dequantize();
    if (arch == "llama" && t.name.ends_with("attn_q.weight")) v = UnpermuteHeads(v, t.cols(), kRandomHeads);
    if (arch == "llama" && t.name.ends_with("attn_k.weight")) v = UnpermuteHeads(v, t.cols(), kRandomKvHeads);
    if (arch == "gemma2" && t.name.ends_with("norm.weight"))
      for (float& x : v) x -= 1.0f;  // exact for weights in [0.5, 2]
    std::vector<int64_t> shape(t.ne.rbegin(), t.ne.rend());
    const size_t end = data.size() + v.size() * sizeof(float);
    header[HfName(arch, t.name)] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {data.size(), end}}};
    const auto* b = reinterpret_cast<const uint8_t*>(v.data());
    data.insert(data.end(), b, b + v.size() * 4);
  }
  std::string h = header.dump();
  while (h.size() % 8) h += ' ';
  const uint64_t n = h.size();
  std::ofstream out(dir + "/model.safetensors", std::ios::binary);
  out.write(reinterpret_cast<const char*>(&n), 8);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

std::vector<float> AllLogits(const Model& m, const std::vector<int32_t>& prompt) {
  std::vector<float> logits;
  tbb::task_arena arena(2);
  arena.execute([&] {
    Forward f(m, CpuKernels());
    KvCache cache(m.hparams().n_layer, m.hparams().kv_dim(), kRandomCtx, KvType::kF32, AttentionWindows(m));
    SeqChunk c{&cache, prompt, true};
    f.Run({&c, 1}, logits);
  });
  return logits;
}

class HfTwinTest : public ::testing::TestWithParam<std::string> {};

TEST_P(HfTwinTest, DirectoryEqualsItsGgufTwin) {
  const std::string arch = GetParam();
  const std::string gguf = testing::RandomArchModel(arch);
  const std::string hf = testing::TempDir("hf-twin-" + arch);
  WriteHfDir(arch, gguf, hf);

  auto a = Model::Load(gguf), b = Model::Load(hf);
  EXPECT_EQ(b->architecture().name, arch);
  const Hparams &ha = a->hparams(), &hb = b->hparams();
  EXPECT_EQ(hb.n_vocab, ha.n_vocab);
  EXPECT_EQ(hb.n_layer, ha.n_layer);
  EXPECT_EQ(hb.head_dim, ha.head_dim);
  EXPECT_EQ(hb.n_head_kv, ha.n_head_kv);
  EXPECT_EQ(hb.rms_eps, ha.rms_eps);
  EXPECT_EQ(hb.rope_freq_base, ha.rope_freq_base);
  const ArchOptions &oa = a->options(), &ob = b->options();
  EXPECT_EQ(ob.freq_factors, oa.freq_factors);
  EXPECT_EQ(ob.sliding, oa.sliding);
  EXPECT_EQ(ob.sliding_window, oa.sliding_window);
  EXPECT_EQ(ob.attn_softcap, oa.attn_softcap);
  EXPECT_EQ(ob.final_softcap, oa.final_softcap);
  EXPECT_EQ(ob.qkv_bias, oa.qkv_bias);
  if (arch == "llama") {
    EXPECT_FALSE(oa.freq_factors.empty()) << "the twin uses Llama 3.1's rope scaling";
  }
  if (arch == "gemma2") {
    EXPECT_EQ(oa.sliding_window, kRandomWindow);
  }

  // 50 positions: past the scaled RoPE's original context and many windows.
  std::vector<int32_t> prompt;
  for (int i = 0; i < 50; ++i) prompt.push_back((i * 11 + 3) % kRandomVocab);
  const auto la = AllLogits(*a, prompt), lb = AllLogits(*b, prompt);
  ASSERT_EQ(la.size(), prompt.size() * kRandomVocab);
  EXPECT_EQ(lb, la);
}

// A directory without a tensor its family requires fails at load, naming
// the directory and the tensor.
TEST_P(HfTwinTest, MissingTensorIsNamed) {
  const std::string arch = GetParam();
  const std::string drop = arch == "qwen2"    ? "blk.1.attn_v.bias"
                           : arch == "gemma2" ? "blk.2.post_ffw_norm.weight"
                                              : "blk.3.ffn_up.weight";
  const std::string hf = testing::TempDir("hf-missing-" + arch);
  WriteHfDir(arch, testing::RandomArchModel(arch), hf, drop);
  try {
    Model::Load(hf);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(hf), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(drop), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Families, HfTwinTest, ::testing::Values("llama", "qwen2", "gemma2"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace bhasa::native
