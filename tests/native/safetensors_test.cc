// Hugging Face directories written here (config.json + safetensors), read
// back through ModelFile: GGUF names and keys, dtypes, the q/k row
// permutation, shards; and malformed safetensors headers.
#include <cstring>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/native/hf_config.h"
#include "backends/native/model_file.h"
#include "backends/native/safetensors.h"
#include "common/error.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

using nlohmann::json;

struct StTensor {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

StTensor F32Tensor(const std::string& name, std::vector<int64_t> shape, float base) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<uint8_t> b(n * 4);
  for (int64_t i = 0; i < n; ++i) {
    float v = base + static_cast<float>(i);
    std::memcpy(b.data() + 4 * i, &v, 4);
  }
  return {name, "F32", shape, b};
}

StTensor HalfTensor(const std::string& name, const std::string& dtype, std::vector<int64_t> shape, float base) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<uint8_t> b(n * 2);
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h = dtype == "BF16" ? Fp32ToBf16(base + i) : Fp32ToFp16(base + i);
    std::memcpy(b.data() + 2 * i, &h, 2);
  }
  return {name, dtype, shape, b};
}

std::vector<uint8_t> WithHeader(const std::string& h, size_t data_bytes) {
  std::vector<uint8_t> out(8 + h.size() + data_bytes, 0);
  const uint64_t n = h.size();
  std::memcpy(out.data(), &n, 8);
  std::memcpy(out.data() + 8, h.data(), h.size());
  return out;
}

std::vector<uint8_t> Safetensors(const std::vector<StTensor>& ts) {
  json h = json::object();
  h["__metadata__"] = {{"format", "pt"}};
  uint64_t off = 0;
  for (const auto& t : ts) {
    h[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {off, off + t.bytes.size()}}};
    off += t.bytes.size();
  }
  std::string hs = h.dump();
  while (hs.size() % 8) hs += ' ';
  std::vector<uint8_t> out = WithHeader(hs, 0);
  for (const auto& t : ts) out.insert(out.end(), t.bytes.begin(), t.bytes.end());
  return out;
}

void Put(const std::string& path, const std::string& s) { std::ofstream(path, std::ios::binary) << s; }
void Put(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
}

json TinyConfig() {
  return {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"}, {"hidden_size", 8},
          {"num_attention_heads", 2}, {"num_key_value_heads", 1}, {"num_hidden_layers", 1},
          {"intermediate_size", 16}, {"vocab_size", 4}, {"rms_norm_eps", 1e-5}, {"rope_theta", 500000.0},
          {"max_position_embeddings", 8192}, {"bos_token_id", 1}, {"eos_token_id", {2, 3}},
          {"rope_scaling", {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                            {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}}}};
}

std::vector<StTensor> TinyTensors() {
  return {F32Tensor("model.embed_tokens.weight", {4, 8}, 0),
          F32Tensor("model.norm.weight", {8}, 1),
          HalfTensor("model.layers.0.self_attn.q_proj.weight", "BF16", {8, 8}, 0),
          HalfTensor("model.layers.0.self_attn.k_proj.weight", "F16", {4, 8}, 100),
          F32Tensor("model.layers.0.mlp.down_proj.weight", {8, 16}, 0),
          F32Tensor("model.layers.0.self_attn.rotary_emb.inv_freq", {2}, 0),
          F32Tensor("lm_head.weight", {4, 8}, -3)};
}

TEST(Safetensors, TinyHfDirectory) {
  const std::string dir = bhasa::testing::TempDir("hf_tiny");
  Put(dir + "/config.json", TinyConfig().dump());
  Put(dir + "/tokenizer.json", std::string("{}"));
  Put(dir + "/tokenizer_config.json", json{{"chat_template", "{{ bos_token }}"}, {"add_bos_token", true}}.dump());
  Put(dir + "/model.safetensors", Safetensors(TinyTensors()));

  auto mf = ModelFile::Open(dir);
  EXPECT_EQ(mf->format(), "safetensors");
  EXPECT_EQ(mf->GetString("general.architecture"), "llama");
  EXPECT_EQ(mf->GetInt("llama.embedding_length"), 8);
  EXPECT_EQ(mf->GetInt("llama.attention.head_count_kv"), 1);
  EXPECT_EQ(mf->GetInt("llama.rope.dimension_count"), 4);
  EXPECT_EQ(mf->GetInt("llama.context_length"), 8192);
  EXPECT_NEAR(mf->GetFloat("llama.rope.freq_base"), 500000.0, 1e-6);
  EXPECT_NEAR(mf->GetFloat("llama.attention.layer_norm_rms_epsilon"), 1e-5, 1e-12);
  EXPECT_EQ(mf->GetString("llama.rope.scaling.type"), "llama3");
  EXPECT_EQ(mf->GetInt("llama.rope.scaling.original_context_length"), 8192);
  EXPECT_EQ(mf->GetInt("tokenizer.ggml.eos_token_id"), 2);
  EXPECT_EQ(mf->GetString("tokenizer.chat_template"), "{{ bos_token }}");
  EXPECT_EQ(mf->TokenizerJsonPath(), dir + "/tokenizer.json");
  EXPECT_EQ(mf->TokenizerConfigJsonPath(), dir + "/tokenizer_config.json");

  EXPECT_EQ(mf->tensors().size(), 6u);  // inv_freq dropped
  EXPECT_FALSE(mf->HasTensor("model.layers.0.self_attn.rotary_emb.inv_freq"));
  const TensorInfo& emb = mf->Tensor("token_embd.weight");
  EXPECT_EQ(emb.type, GgmlType::F32);
  EXPECT_EQ(emb.ne, (std::vector<int64_t>{8, 4}));
  std::vector<float> row(8);
  emb.DequantizeRowTo(2, row.data());
  EXPECT_EQ(row[0], 16.0f);
  EXPECT_EQ(mf->Tensor("output.weight").Dequantize()[0], -3.0f);
  EXPECT_EQ(mf->Tensor("blk.0.ffn_down.weight").ne, (std::vector<int64_t>{16, 8}));

  // q: 2 heads of 4 rows. llama.cpp's permute puts source rows
  // [0, 2, 1, 3 | 4, 6, 5, 7] at GGUF rows 0..7.
  const TensorInfo& q = mf->Tensor("blk.0.attn_q.weight");
  EXPECT_EQ(q.type, GgmlType::BF16);
  EXPECT_EQ(q.permute_heads, 2);
  const int64_t want_q[] = {0, 2, 1, 3, 4, 6, 5, 7};
  for (int64_t r = 0; r < 8; ++r) {
    q.DequantizeRowTo(r, row.data());
    EXPECT_EQ(row[0], static_cast<float>(8 * want_q[r])) << "row " << r;
  }
  // k: 1 KV head of 4 rows → [0, 2, 1, 3].
  const TensorInfo& k = mf->Tensor("blk.0.attn_k.weight");
  EXPECT_EQ(k.type, GgmlType::F16);
  EXPECT_EQ(k.permute_heads, 1);
  auto kv = k.Dequantize();
  EXPECT_EQ(kv[1 * 8], 100.0f + 16);
  EXPECT_EQ(kv[2 * 8], 100.0f + 8);
  EXPECT_EQ(kv[3 * 8 + 1], 100.0f + 25);
}

TEST(Safetensors, ShardedWithIndex) {
  const std::string dir = bhasa::testing::TempDir("hf_sharded");
  Put(dir + "/config.json", TinyConfig().dump());
  auto ts = TinyTensors();
  std::vector<StTensor> a(ts.begin(), ts.begin() + 3), b(ts.begin() + 3, ts.end());
  Put(dir + "/model-00001-of-00002.safetensors", Safetensors(a));
  Put(dir + "/model-00002-of-00002.safetensors", Safetensors(b));
  json wm;
  for (const auto& t : a) wm[t.name] = "model-00001-of-00002.safetensors";
  for (const auto& t : b) wm[t.name] = "model-00002-of-00002.safetensors";
  Put(dir + "/model.safetensors.index.json", json{{"metadata", json::object()}, {"weight_map", wm}}.dump());
  auto mf = ModelFile::Open(dir);
  EXPECT_EQ(mf->tensors().size(), 6u);
  EXPECT_EQ(mf->Tensor("output.weight").Dequantize()[31], 28.0f);
  EXPECT_EQ(mf->TokenizerJsonPath(), "");

  // A shard outside the directory is refused.
  wm["lm_head.weight"] = "../evil.safetensors";
  Put(dir + "/model.safetensors.index.json", json{{"weight_map", wm}}.dump());
  EXPECT_THROW(ModelFile::Open(dir), Error);
}

TEST(Safetensors, ConfigErrors) {
  json c = TinyConfig();
  c.erase("hidden_size");
  EXPECT_THROW(TranslateHfConfig(c, "config.json"), Error);
  c = TinyConfig();
  c["model_type"] = "qwen2";
  EXPECT_THROW(TranslateHfConfig(c, "config.json"), Error);
  c = TinyConfig();
  c["num_key_value_heads"] = 3;
  EXPECT_THROW(TranslateHfConfig(c, "config.json"), Error);
  EXPECT_EQ(HfToGgufTensorName("model.layers.12.mlp.gate_proj.weight"), "blk.12.ffn_gate.weight");
  EXPECT_EQ(HfToGgufTensorName("model.layers.3.post_attention_layernorm.weight"), "blk.3.ffn_norm.weight");
  EXPECT_EQ(HfToGgufTensorName("model.layers.3.self_attn.o_proj.weight"), "blk.3.attn_output.weight");
}

void ExpectHeaderError(const std::vector<uint8_t>& b, const char* needle) {
  size_t ds = 0;
  try {
    ParseSafetensorsHeader("x.safetensors", b.data(), b.size(), &ds);
    ADD_FAILURE() << "accepted a bad header; wanted " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("x.safetensors"), std::string::npos) << e.what();
  }
}


TEST(Safetensors, MalformedHeaders) {
  ExpectHeaderError({1, 2, 3}, "no header length");
  auto ok = Safetensors({F32Tensor("a", {2, 2}, 0)});
  auto b = ok;
  uint64_t huge = uint64_t{1} << 60;
  std::memcpy(b.data(), &huge, 8);
  ExpectHeaderError(b, "runs past the end");
  ExpectHeaderError(WithHeader("{not json", 0), "not valid JSON");
  ExpectHeaderError(WithHeader("[1,2]", 0), "not a JSON object");
  ExpectHeaderError(WithHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 8), "need 8");
  ExpectHeaderError(WithHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4), "outside the data section");
  ExpectHeaderError(WithHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8), "outside");
  ExpectHeaderError(WithHeader(R"({"a":{"dtype":"Q9","shape":[2],"data_offsets":[0,8]}})", 8), "unknown dtype 'Q9'");
  ExpectHeaderError(WithHeader(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "non-negative");
  ExpectHeaderError(WithHeader(R"({"a":{"dtype":"F32","shape":[2]}})", 8), "data_offsets");
  ExpectHeaderError(WithHeader(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8), "dtype");
  ExpectHeaderError(WithHeader(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})", 8),
                    "overflows");
  size_t ds = 0;
  auto entries = ParseSafetensorsHeader("ok", ok.data(), ok.size(), &ds);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(ds, ok.size() - 16);

  // An unsupported dtype in a model directory names the tensor.
  const std::string dir = bhasa::testing::TempDir("hf_bad");
  Put(dir + "/config.json", TinyConfig().dump());
  Put(dir + "/model.safetensors", WithHeader(R"({"model.norm.weight":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", 8));
  try {
    ModelFile::Open(dir);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.norm.weight"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bhasa::native
