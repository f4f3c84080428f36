// Random models of each registered architecture for tests that must run
// without ../shared: written once per test binary through our own GGUF
// writer. Gemma 2 gets a sliding window of kRandomWindow positions (so short
// prompts cross it), llama Llama 3.1's rope scaling keys (original context
// 32, so short prompts reach the scaled frequencies), and every model a
// one-letter-per-token vocabulary so the Engine can decode text.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "backends/native/gguf_writer.h"
#include "backends/native/model_file.h"
#include "backends/native/random_model.h"
#include "tests/test_support.h"

namespace bhasa::testing {

inline constexpr int64_t kRandomVocab = 48, kRandomEmbd = 64, kRandomLayers = 4, kRandomHeads = 4,
                         kRandomKvHeads = 2, kRandomFf = 96, kRandomCtx = 256, kRandomWindow = 5;

inline int64_t RandomHeadDim(const std::string& arch) {
  return arch == "gemma2" ? 32 : kRandomEmbd / kRandomHeads;  // Gemma 2's q_dim differs from n_embd
}

// Path of the F32 random model of `arch`, made on first use.
inline std::string RandomArchModel(const std::string& arch) {
  static std::map<std::string, std::string> made;
  if (auto it = made.find(arch); it != made.end()) return it->second;
  using namespace native;  // the writer and model-file types
  RandomModelSpec spec;
  spec.arch = arch;
  spec.n_vocab = kRandomVocab, spec.n_embd = kRandomEmbd, spec.n_layer = kRandomLayers, spec.n_head = kRandomHeads;
  spec.n_head_kv = kRandomKvHeads, spec.n_ff = kRandomFf, spec.n_ctx = kRandomCtx;
  spec.head_dim = arch == "gemma2" ? RandomHeadDim(arch) : 0;
  spec.rope_base = 10000, spec.sigma = 0.2, spec.seed = 11;
  GgufWriter random;
  AddRandomModel(spec, random);
  const std::string dir = TempDir("random-" + arch);
  random.Write(dir + "/random.gguf");

  // Copied with the window and keys above: GgufWriter::Add appends, so an
  // overridden key must be left out of the copy.
  auto src = ModelFile::Open(dir + "/random.gguf");
  GgufWriter w;
  w.Add("general.architecture", MetaValue::Str(arch));
  for (const auto& [k, v] : src->metadata()) {
    if (k == "general.architecture") continue;
    w.Add(k, k == "gemma2.attention.sliding_window" ? MetaValue::Int(GgufValueType::kUint32, kRandomWindow) : v);
  }
  if (arch == "llama") {
    w.Add("llama.rope.scaling.type", MetaValue::Str("llama3"));
    w.Add("llama.rope.scaling.factor", MetaValue::Float(GgufValueType::kFloat32, 8.0));
    w.Add("llama.rope.scaling.low_freq_factor", MetaValue::Float(GgufValueType::kFloat32, 1.0));
    w.Add("llama.rope.scaling.high_freq_factor", MetaValue::Float(GgufValueType::kFloat32, 4.0));
    w.Add("llama.rope.scaling.original_context_length", MetaValue::Int(GgufValueType::kUint32, 32));
  }
  for (const auto& t : src->tensors())
    w.AddTensorBytes(t.name, t.type, t.ne, std::vector<uint8_t>(t.data, t.data + t.bytes));
  std::vector<std::string> tokens;
  for (int64_t i = 0; i < kRandomVocab; ++i)
    tokens.emplace_back(1, static_cast<char>(i < 26 ? 'a' + i : 'A' + i - 26));
  w.Add("tokenizer.ggml.model", MetaValue::Str("gpt2"));
  w.Add("tokenizer.ggml.pre", MetaValue::Str("llama-bpe"));
  w.Add("tokenizer.ggml.tokens", MetaValue::StrArray(tokens));
  w.Add("tokenizer.ggml.merges", MetaValue::StrArray({}));
  w.Add("tokenizer.ggml.bos_token_id", MetaValue::Int(GgufValueType::kUint32, 0));
  w.Add("tokenizer.ggml.eos_token_id", MetaValue::Int(GgufValueType::kUint32, 1));
  w.Write(dir + "/model.gguf");
  return made[arch] = dir + "/model.gguf";
}

}  // namespace bhasa::testing
