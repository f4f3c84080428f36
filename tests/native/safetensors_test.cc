// Hugging Face directories written here (config.json + safetensors), read
// back through ModelFile: GGUF names and keys, dtypes, the q/k row
// permutation, shards; and malformed safetensors headers.
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/native/chat_template.h"
#include "backends/native/hf_config.h"
#include "backends/native/model_file.h"
#include "backends/native/safetensors.h"
#include "backends/native/vocab.h"
#include "common/error.h"
#include "common/fs.h"
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
  c["model_type"] = "gpt_neox";
  EXPECT_THROW(TranslateHfConfig(c, "config.json"), Error);
  c = TinyConfig();
  c["num_key_value_heads"] = 3;
  EXPECT_THROW(TranslateHfConfig(c, "config.json"), Error);
  EXPECT_EQ(HfToGgufTensorName("llama", "model.layers.12.mlp.gate_proj.weight"), "blk.12.ffn_gate.weight");
  EXPECT_EQ(HfToGgufTensorName("llama", "model.layers.3.post_attention_layernorm.weight"), "blk.3.ffn_norm.weight");
  EXPECT_EQ(HfToGgufTensorName("llama", "model.layers.3.self_attn.o_proj.weight"), "blk.3.attn_output.weight");
}

// The config.json of Qwen2-0.5B and of Gemma-2-2B as published, and the
// GGUF keys llama.cpp's converter writes for them.
json Qwen2Config() {
  return json::parse(R"({"architectures":["Qwen2ForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,
    "eos_token_id":151643,"hidden_act":"silu","hidden_size":896,"initializer_range":0.02,"intermediate_size":4864,
    "max_position_embeddings":131072,"max_window_layers":24,"model_type":"qwen2","num_attention_heads":14,
    "num_hidden_layers":24,"num_key_value_heads":2,"rms_norm_eps":1e-06,"rope_theta":1000000.0,
    "sliding_window":131072,"tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.40.1",
    "use_cache":true,"use_sliding_window":false,"vocab_size":151936})");
}

json Gemma2Config() {
  return json::parse(R"({"architectures":["Gemma2ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,
    "attn_logit_softcapping":50.0,"bos_token_id":2,"cache_implementation":"hybrid","eos_token_id":1,
    "final_logit_softcapping":30.0,"head_dim":256,"hidden_act":"gelu_pytorch_tanh",
    "hidden_activation":"gelu_pytorch_tanh","hidden_size":2304,"initializer_range":0.02,"intermediate_size":9216,
    "max_position_embeddings":8192,"model_type":"gemma2","num_attention_heads":8,"num_hidden_layers":26,
    "num_key_value_heads":4,"pad_token_id":0,"query_pre_attn_scalar":256,"rms_norm_eps":1e-06,
    "rope_theta":10000.0,"sliding_window":4096,"torch_dtype":"float32","transformers_version":"4.42.4",
    "use_cache":true,"vocab_size":256000})");
}

// Keys as "name=value" lines (floats rounded to f32, as GGUF stores them).
std::vector<std::string> KeyLines(const std::map<std::string, MetaValue>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) {
    std::string val;
    if (auto* i = std::get_if<int64_t>(&v.value)) val = std::to_string(*i);
    else if (auto* d = std::get_if<double>(&v.value)) val = std::to_string(static_cast<float>(*d));
    else if (auto* s = std::get_if<std::string>(&v.value)) val = *s;
    out.push_back(k + "=" + val);
  }
  return out;
}

TEST(Safetensors, Qwen2ConfigKeys) {
  EXPECT_EQ(KeyLines(TranslateHfConfig(Qwen2Config(), "config.json")),
            (std::vector<std::string>{
                "general.architecture=qwen2",
                "qwen2.attention.head_count=14",
                "qwen2.attention.head_count_kv=2",
                "qwen2.attention.layer_norm_rms_epsilon=" + std::to_string(1e-6f),
                "qwen2.block_count=24",
                "qwen2.context_length=131072",
                "qwen2.embedding_length=896",
                "qwen2.feed_forward_length=4864",
                "qwen2.rope.freq_base=1000000.000000",
                "tokenizer.ggml.bos_token_id=151643",
                "tokenizer.ggml.eos_token_id=151643",
            }));
  // Qwen2.5's long-context variants: YaRN scaling, as the converter writes it.
  json c = Qwen2Config();
  c["rope_scaling"] = {{"type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 32768}};
  auto m = TranslateHfConfig(c, "config.json");
  EXPECT_EQ(std::get<std::string>(m.at("qwen2.rope.scaling.type").value), "yarn");
  EXPECT_EQ(std::get<double>(m.at("qwen2.rope.scaling.factor").value), 4.0);
  EXPECT_EQ(std::get<int64_t>(m.at("qwen2.rope.scaling.original_context_length").value), 32768);
}

TEST(Safetensors, Gemma2ConfigKeys) {
  EXPECT_EQ(KeyLines(TranslateHfConfig(Gemma2Config(), "config.json")),
            (std::vector<std::string>{
                "gemma2.attention.head_count=8",
                "gemma2.attention.head_count_kv=4",
                "gemma2.attention.key_length=256",
                "gemma2.attention.layer_norm_rms_epsilon=" + std::to_string(1e-6f),
                "gemma2.attention.sliding_window=4096",
                "gemma2.attention.value_length=256",
                "gemma2.attn_logit_softcapping=50.000000",
                "gemma2.block_count=26",
                "gemma2.context_length=8192",
                "gemma2.embedding_length=2304",
                "gemma2.feed_forward_length=9216",
                "gemma2.final_logit_softcapping=30.000000",
                "gemma2.rope.freq_base=10000.000000",
                "general.architecture=gemma2",
                "tokenizer.ggml.bos_token_id=2",
                "tokenizer.ggml.eos_token_id=1",
            }));
}

// A bad config.json names the file and the field; never an internal error.
void ExpectConfigError(const json& c, const std::string& field) {
  try {
    TranslateHfConfig(c, "/m/config.json");
    ADD_FAILURE() << "accepted a config without a valid " << field;
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("/m/config.json"), std::string::npos) << what;
    EXPECT_NE(what.find("'" + field + "'"), std::string::npos) << what;
  }
}

TEST(Safetensors, Qwen2AndGemma2ConfigErrorsNameTheField) {
  for (const char* f : {"hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size"}) {
    json q = Qwen2Config(), g = Gemma2Config();
    q.erase(f);
    g.erase(f);
    ExpectConfigError(q, f);
    ExpectConfigError(g, f);
  }
  for (const char* f : {"head_dim", "sliding_window", "attn_logit_softcapping", "final_logit_softcapping"}) {
    json g = Gemma2Config();
    g.erase(f);
    ExpectConfigError(g, f);
    g[f] = "4096";  // wrong JSON type
    ExpectConfigError(g, f);
  }
  json q = Qwen2Config();
  q["rope_theta"] = "1e6";
  ExpectConfigError(q, "rope_theta");
  q = Qwen2Config();
  q["num_key_value_heads"] = 2.5;
  ExpectConfigError(q, "num_key_value_heads");
  q = Qwen2Config();
  q["model_type"] = 2;
  ExpectConfigError(q, "model_type");
  q = Qwen2Config();
  q["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", "4"}};
  ExpectConfigError(q, "factor");
}

TEST(Safetensors, ArchitectureTensorNames) {
  EXPECT_EQ(HfToGgufTensorName("qwen2", "model.layers.5.self_attn.q_proj.bias"), "blk.5.attn_q.bias");
  EXPECT_EQ(HfToGgufTensorName("qwen2", "model.layers.5.self_attn.k_proj.bias"), "blk.5.attn_k.bias");
  EXPECT_EQ(HfToGgufTensorName("qwen2", "model.layers.5.self_attn.v_proj.bias"), "blk.5.attn_v.bias");
  EXPECT_EQ(HfToGgufTensorName("qwen2", "model.layers.5.post_attention_layernorm.weight"), "blk.5.ffn_norm.weight");
  EXPECT_EQ(HfToGgufTensorName("gemma2", "model.layers.1.input_layernorm.weight"), "blk.1.attn_norm.weight");
  EXPECT_EQ(HfToGgufTensorName("gemma2", "model.layers.1.post_attention_layernorm.weight"),
            "blk.1.post_attention_norm.weight");
  EXPECT_EQ(HfToGgufTensorName("gemma2", "model.layers.1.pre_feedforward_layernorm.weight"), "blk.1.ffn_norm.weight");
  EXPECT_EQ(HfToGgufTensorName("gemma2", "model.layers.1.post_feedforward_layernorm.weight"),
            "blk.1.post_ffw_norm.weight");
  EXPECT_EQ(HfToGgufTensorName("gemma2", "lm_head.weight"), "");
  EXPECT_EQ(HfToGgufTensorName("qwen2", "lm_head.weight"), "output.weight");
  // Biases are Qwen2's only.
  EXPECT_EQ(HfToGgufTensorName("llama", "model.layers.5.self_attn.q_proj.bias"), "model.layers.5.self_attn.q_proj.bias");
}

json TinyArchConfig(const std::string& model_type) {
  json c = {{"model_type", model_type}, {"hidden_size", 8}, {"num_attention_heads", 2},
            {"num_key_value_heads", 1}, {"num_hidden_layers", 1}, {"intermediate_size", 16},
            {"vocab_size", 4}, {"max_position_embeddings", 64}};
  if (model_type == "gemma2") {
    c.update({{"head_dim", 4}, {"sliding_window", 16}, {"attn_logit_softcapping", 50.0},
              {"final_logit_softcapping", 30.0}});
  }
  return c;
}

TEST(Safetensors, Qwen2DirectoryKeepsQkRowsAndMapsBiases) {
  const std::string dir = bhasa::testing::TempDir("hf_qwen2");
  Put(dir + "/config.json", TinyArchConfig("qwen2").dump());
  Put(dir + "/model.safetensors",
      Safetensors({F32Tensor("model.embed_tokens.weight", {4, 8}, 0),
                   HalfTensor("model.layers.0.self_attn.q_proj.weight", "BF16", {8, 8}, 0),
                   F32Tensor("model.layers.0.self_attn.q_proj.bias", {8}, 0.5f),
                   F32Tensor("model.layers.0.self_attn.k_proj.bias", {4}, 0.25f),
                   F32Tensor("model.layers.0.post_attention_layernorm.weight", {8}, 0.125f)}));
  auto mf = ModelFile::Open(dir);
  EXPECT_EQ(mf->GetString("general.architecture"), "qwen2");
  EXPECT_EQ(mf->GetInt("qwen2.attention.head_count"), 2);
  const TensorInfo& q = mf->Tensor("blk.0.attn_q.weight");
  EXPECT_EQ(q.permute_heads, 0);
  EXPECT_EQ(q.Dequantize()[8 * 3 + 1], 25.0f);  // row 3 is stored row 3
  EXPECT_EQ(mf->Tensor("blk.0.attn_q.bias").Dequantize()[7], 7.5f);
  EXPECT_EQ(mf->Tensor("blk.0.attn_k.bias").ne, (std::vector<int64_t>{4}));
  // Qwen2's norms are used as stored.
  EXPECT_EQ(mf->Tensor("blk.0.ffn_norm.weight").Dequantize()[0], 0.125f);
}

TEST(Safetensors, Gemma2DirectoryAddsOneToNorms) {
  const std::string dir = bhasa::testing::TempDir("hf_gemma2");
  Put(dir + "/config.json", TinyArchConfig("gemma2").dump());
  Put(dir + "/model.safetensors",
      Safetensors({F32Tensor("model.embed_tokens.weight", {4, 8}, 0),
                   F32Tensor("model.norm.weight", {8}, -0.5f),
                   HalfTensor("model.layers.0.input_layernorm.weight", "BF16", {8}, 0.5f),
                   HalfTensor("model.layers.0.post_attention_layernorm.weight", "F16", {8}, 2.0f),
                   F32Tensor("model.layers.0.pre_feedforward_layernorm.weight", {8}, 3.0f),
                   F32Tensor("model.layers.0.post_feedforward_layernorm.weight", {8}, 4.0f),
                   HalfTensor("model.layers.0.self_attn.k_proj.weight", "F16", {4, 8}, 100),
                   F32Tensor("lm_head.weight", {4, 8}, 0)}));
  auto mf = ModelFile::Open(dir);
  EXPECT_EQ(mf->GetString("general.architecture"), "gemma2");
  EXPECT_EQ(mf->GetInt("gemma2.attention.sliding_window"), 16);
  EXPECT_FALSE(mf->HasTensor("output.weight"));  // tied to token_embd
  EXPECT_EQ(mf->Tensor("output_norm.weight").Dequantize()[1], 1.5f);  // -0.5 + 1 + 1
  const TensorInfo& an = mf->Tensor("blk.0.attn_norm.weight");
  EXPECT_EQ(an.type, GgmlType::F32);
  EXPECT_EQ(an.Dequantize()[2], 3.5f);
  EXPECT_EQ(mf->Tensor("blk.0.post_attention_norm.weight").Dequantize()[0], 3.0f);
  EXPECT_EQ(mf->Tensor("blk.0.ffn_norm.weight").Dequantize()[7], 11.0f);
  EXPECT_EQ(mf->Tensor("blk.0.post_ffw_norm.weight").Dequantize()[0], 5.0f);
  EXPECT_EQ(mf->Tensor("blk.0.attn_k.weight").permute_heads, 0);
  EXPECT_EQ(mf->Tensor("token_embd.weight").Dequantize()[5], 5.0f);  // not a norm: as stored
}

// A whole Gemma 2 directory: weights, Gemma's tokenizer.json and its
// tokenizer_config.json with the Gemma 2 chat template.
TEST(Safetensors, Gemma2DirectoryWithTokenizer) {
  const std::string dir = bhasa::testing::TempDir("hf_gemma2_tok");
  const std::string data = bhasa::testing::SourceDir() + "/tests/native/data/tokenizers/gemma-mini";
  Put(dir + "/config.json", TinyArchConfig("gemma2").dump());
  Put(dir + "/model.safetensors", Safetensors({F32Tensor("model.embed_tokens.weight", {4, 8}, 0)}));
  std::filesystem::copy_file(data + "/tokenizer.json", dir + "/tokenizer.json");
  json cfg = json::parse(ReadFile(data + "/tokenizer_config.json"));
  cfg["chat_template"] = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role "
                         "not supported') }}{% endif %}...<start_of_turn>";
  Put(dir + "/tokenizer_config.json", cfg.dump());
  auto mf = ModelFile::Open(dir);
  Vocab v = Vocab::FromModelFile(*mf);
  EXPECT_EQ(v.kind(), VocabKind::kSpm);
  EXPECT_FALSE(v.add_space_prefix());
  EXPECT_EQ(v.Tokenize("Halo", true, false).front(), v.Find("<bos>"));
  EXPECT_EQ(ChatTemplate::Detect(v.chat_template()).format, ChatFormat::kGemma2);
  EXPECT_EQ(ChatTemplate::Detect(mf->GetString("tokenizer.chat_template")).format, ChatFormat::kGemma2);
}

// A Qwen2 directory: byte-level BPE with the Qwen2 pre-tokenizer, no BOS,
// ChatML with Qwen2's default system turn.
TEST(Safetensors, Qwen2DirectoryWithTokenizer) {
  const std::string dir = bhasa::testing::TempDir("hf_qwen2_tok");
  const std::string data = bhasa::testing::SourceDir() + "/tests/native/data/tokenizers/qwen2-mini";
  Put(dir + "/config.json", TinyArchConfig("qwen2").dump());
  Put(dir + "/model.safetensors", Safetensors({F32Tensor("model.embed_tokens.weight", {4, 8}, 0)}));
  std::filesystem::copy_file(data + "/tokenizer.json", dir + "/tokenizer.json");
  json cfg = json::parse(ReadFile(data + "/tokenizer_config.json"));
  cfg["chat_template"] = "{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a "
                         "helpful assistant.<|im_end|>\n' }}{% endif %}";
  Put(dir + "/tokenizer_config.json", cfg.dump());
  auto mf = ModelFile::Open(dir);
  Vocab v = Vocab::FromModelFile(*mf);
  EXPECT_EQ(v.pre(), PreTokenizer::kQwen2);
  EXPECT_FALSE(v.add_bos());
  EXPECT_EQ(v.Tokenize("2024", true, false).size(), 4u);
  ChatTemplate t = ChatTemplate::Detect(v.chat_template());
  EXPECT_EQ(t.format, ChatFormat::kChatMl);
  EXPECT_EQ(t.default_system, "You are a helpful assistant.");
}

TEST(Safetensors, Gemma2NormRoundingFollowsTheSourceType) {
  // F16 checkpoints add in f16 (1 + 2^-12 is not an f16 value: it rounds to 1),
  // F32 ones in f32 (kept).
  const float tiny = 1.0f / 4096.0f;
  const std::string dir = bhasa::testing::TempDir("hf_gemma2_round");
  Put(dir + "/config.json", TinyArchConfig("gemma2").dump());
  Put(dir + "/model.safetensors", Safetensors({HalfTensor("model.norm.weight", "F16", {1}, tiny),
                                               F32Tensor("model.layers.0.input_layernorm.weight", {1}, tiny)}));
  auto mf = ModelFile::Open(dir);
  EXPECT_EQ(mf->Tensor("output_norm.weight").Dequantize()[0], 1.0f);
  EXPECT_EQ(mf->Tensor("blk.0.attn_norm.weight").Dequantize()[0], 1.0f + tiny);
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
