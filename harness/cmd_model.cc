// `bhasa model <sub>`: model-file tools. "model" dispatches to whatever is
// registered as "model <sub>" in the CommandRegistry, so other files add
// subcommands (model tokenize, model logits, ...) with a plain
// RegisterCommand("model <sub>", ...). This file adds `model info` and
// `model create-random`.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <random>

#include <nlohmann/json.hpp>

#include "backends/native/arch/arch.h"
#include "backends/native/gguf_writer.h"
#include "backends/native/llama_model.h"
#include "backends/native/model_file.h"
#include "backends/native/random_model.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "harness/command.h"
#include "harness/flags.h"

namespace bhasa {
namespace {

using native::GgmlType;
using native::GgufValueType;
using native::MetaValue;
using native::ModelFile;

constexpr const char* kPrefix = "model ";

std::vector<std::string> ModelSubcommands() {
  std::vector<std::string> subs;
  for (const auto& [name, cmd] : CommandRegistry().entries())
    if (name.rfind(kPrefix, 0) == 0) subs.push_back(name.substr(6));
  return subs;
}

int ModelCommand(std::span<const std::string> args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("usage: bhasa model <subcommand> [options]   (bhasa model <subcommand> --help)\n\nsubcommands:\n");
    for (const auto& sub : ModelSubcommands())
      std::printf("  %-16s %s\n", sub.c_str(), CommandRegistry().Get(kPrefix + sub).summary.c_str());
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string name = kPrefix + args[0];
  if (!CommandRegistry().Has(name)) {
    std::string valid;
    for (const auto& s : ModelSubcommands()) valid += (valid.empty() ? "" : ", ") + s;
    throw Error("unknown model subcommand '" + args[0] + "' (valid: " + valid + ")", kExitUsage);
  }
  return CommandRegistry().Get(name).run(args.subspan(1));
}

// ---- model info ------------------------------------------------------------

nlohmann::json InfoJson(const ModelFile& mf) {
  nlohmann::json j;
  j["path"] = mf.path();
  j["format"] = mf.format();
  if (mf.format() == "gguf") j["gguf_version"] = mf.gguf_version();
  const std::string arch = mf.GetString("general.architecture", "");
  j["architecture"] = arch;
  if (mf.Has("general.name")) j["name"] = mf.GetString("general.name");
  const char* shape_keys[] = {"block_count", "embedding_length", "feed_forward_length", "attention.head_count",
                              "attention.head_count_kv", "context_length", "rope.dimension_count"};
  nlohmann::json shape = nlohmann::json::object();
  for (const char* k : shape_keys)
    if (mf.Has(arch + "." + k)) shape[k] = mf.GetInt(arch + "." + k);
  if (mf.Has(arch + ".rope.freq_base")) shape["rope.freq_base"] = mf.GetFloat(arch + ".rope.freq_base");
  if (mf.Has(arch + ".attention.layer_norm_rms_epsilon"))
    shape["attention.layer_norm_rms_epsilon"] = mf.GetFloat(arch + ".attention.layer_norm_rms_epsilon");
  j["shape"] = shape;
  int64_t vocab = 0;
  if (mf.Has("tokenizer.ggml.tokens")) vocab = static_cast<int64_t>(mf.Get("tokenizer.ggml.tokens").ArraySize());
  else if (mf.Has(arch + ".vocab_size")) vocab = mf.GetInt(arch + ".vocab_size");
  else if (mf.HasTensor("token_embd.weight")) vocab = mf.Tensor("token_embd.weight").rows();
  j["vocab_size"] = vocab;
  j["tokenizer"] = mf.GetString("tokenizer.ggml.model", mf.TokenizerJsonPath().empty() ? "" : "tokenizer.json");
  j["chat_template"] = mf.Has("tokenizer.chat_template");
  j["tied_embeddings"] = !mf.HasTensor("output.weight");
  std::map<std::string, int> counts;
  size_t bytes = 0;
  int64_t params = 0;
  nlohmann::json tensors = nlohmann::json::array();
  for (const auto& t : mf.tensors()) {
    counts[native::TypeName(t.type)]++;
    bytes += t.bytes;
    params += t.elements();
    tensors.push_back({{"name", t.name}, {"type", native::TypeName(t.type)}, {"ne", t.ne}});
  }
  j["n_tensors"] = mf.tensors().size();
  j["n_params"] = params;
  j["tensor_bytes"] = bytes;
  j["type_counts"] = counts;
  j["tensors"] = tensors;
  return j;
}

// What the engine makes of the file: the architecture descriptor its
// loader filled, or why it cannot run the file.
nlohmann::json EngineJson(std::shared_ptr<const ModelFile> mf) {
  std::shared_ptr<const native::Model> model;
  try {
    model = std::make_shared<const native::Model>(std::move(mf));
  } catch (const Error& e) {
    return {{"supported", false}, {"error", e.what()}};
  }
  const native::Hparams& hp = model->hparams();
  const native::ArchOptions& o = model->options();
  int64_t n_sliding = 0;
  for (bool s : o.sliding) n_sliding += s;
  nlohmann::json j = {
      {"supported", true},
      {"head_dim", hp.head_dim},
      {"rope", {{"mode", o.rope_neox ? "neox" : "normal"}, {"dims", hp.rope_dim}, {"freq_base", hp.rope_freq_base},
                {"scaled_frequencies", !o.freq_factors.empty()}}},
      {"qkv_bias", o.qkv_bias},
      {"norms", o.post_norms ? "pre+post" : "pre"},
      {"activation", o.activation == native::Activation::kSilu ? "silu" : "gelu-tanh"},
      {"embedding_scale", o.embd_scale},
      {"query_scale", o.q_scale > 0 ? o.q_scale : 1.0f / std::sqrt(static_cast<float>(hp.head_dim))},
      {"attention_softcap", o.attn_softcap},
      {"final_softcap", o.final_softcap},
      {"sliding_window", o.sliding_window},
      {"sliding_layers", n_sliding},
      {"output", model->tied() ? "token_embd (tied)" : "output.weight"},
      {"ops_per_forward", model->program().steps.size()}};
  return j;
}

int InfoCommand(std::span<const std::string> args) {
  std::string path;
  bool json = false, list = false;
  Flags f("model info", "FILE [--json] [--tensors]",
          "Describes a model: architecture, shapes, tensor types, vocabulary, chat template.\n"
          "FILE is a GGUF file or a Hugging Face model directory.");
  f.Positional("FILE", &path, "GGUF file or HF directory")
      .Bool("json", &json, "print everything as one JSON object")
      .Bool("tensors", &list, "also list every tensor (text output)");
  if (!f.Parse(args)) return kExitOk;
  std::shared_ptr<const ModelFile> mf = ModelFile::Open(path);
  nlohmann::json j = InfoJson(*mf);
  j["engine"] = EngineJson(mf);
  if (json) {
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  std::printf("path:           %s\n", path.c_str());
  std::printf("format:         %s\n", mf->format().c_str());
  std::printf("architecture:   %s\n", j["architecture"].get<std::string>().c_str());
  for (const auto& [k, v] : j["shape"].items()) std::printf("%-15s %s\n", (k + ":").c_str(), v.dump().c_str());
  std::printf("vocab size:     %lld\n", static_cast<long long>(j["vocab_size"].get<int64_t>()));
  std::printf("tokenizer:      %s\n", j["tokenizer"].get<std::string>().c_str());
  std::printf("chat template:  %s\n", j["chat_template"].get<bool>() ? "yes" : "no");
  std::printf("tied embedding: %s\n", j["tied_embeddings"].get<bool>() ? "yes" : "no");
  std::printf("tensors:        %zu (%.2f M params, %.2f MiB)\n", mf->tensors().size(),
              j["n_params"].get<int64_t>() / 1e6, j["tensor_bytes"].get<size_t>() / 1048576.0);
  std::string types;
  for (const auto& [k, v] : j["type_counts"].items()) types += (types.empty() ? "" : ", ") + k + " x" + v.dump();
  std::printf("types:          %s\n", types.c_str());
  const nlohmann::json& eng = j["engine"];
  if (!eng["supported"].get<bool>()) {
    std::printf("engine:         cannot run it: %s\n", eng["error"].get<std::string>().c_str());
  } else {
    std::printf("engine:         %s\n", j["architecture"].get<std::string>().c_str());
    for (const auto& [k, v] : eng.items())
      if (k != "supported") std::printf("  %-18s %s\n", (k + ":").c_str(), v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
  }
  if (list)
    for (const auto& t : mf->tensors()) {
      std::string ne;
      for (int64_t d : t.ne) ne += (ne.empty() ? "" : ", ") + std::to_string(d);
      std::printf("  %-32s %-5s [%s]\n", t.name.c_str(), native::TypeName(t.type), ne.c_str());
    }
  return kExitOk;
}

// ---- model create-random ---------------------------------------------------

std::string ArchitectureList() {
  std::string list;
  for (const auto& n : native::ArchitectureNames()) list += (list.empty() ? "" : "|") + n;
  return list;
}

// The weight types of a model: one type for every matrix, or one of
// llama-quantize's _M mixtures, which keep output.weight in Q6_K and give
// attn_v and ffn_down Q6_K in the layers its use_more_bits rule picks (the
// first and last eighth, and every third layer between).
struct WeightTypes {
  GgmlType base = GgmlType::F32;
  bool mixture = false;

  GgmlType For(const std::string& tensor, int64_t layer, int64_t n_layer) const {
    if (!mixture) return base;
    if (tensor == "output.weight") return GgmlType::Q6_K;
    const bool more_bits = layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
    const bool wide = tensor.ends_with("attn_v.weight") || tensor.ends_with("ffn_down.weight");
    return layer >= 0 && wide && more_bits ? GgmlType::Q6_K : base;
  }
};

WeightTypes ParseType(const std::string& s) {
  static const std::pair<const char*, GgmlType> kNames[] = {
      {"F32", GgmlType::F32},   {"F16", GgmlType::F16},   {"BF16", GgmlType::BF16}, {"Q8_0", GgmlType::Q8_0},
      {"Q4_0", GgmlType::Q4_0}, {"Q5_0", GgmlType::Q5_0}, {"Q2_K", GgmlType::Q2_K}, {"Q3_K", GgmlType::Q3_K},
      {"Q4_K", GgmlType::Q4_K}, {"Q5_K", GgmlType::Q5_K}, {"Q6_K", GgmlType::Q6_K}};
  if (s == "Q4_K_M") return {GgmlType::Q4_K, true};
  if (s == "Q5_K_M") return {GgmlType::Q5_K, true};
  std::string valid;
  for (const auto& [n, t] : kNames) {
    if (s == n) return {t, false};
    valid += (valid.empty() ? "" : ", ") + std::string(n);
  }
  throw Error("unknown --type '" + s + "' (valid: " + valid + ", Q4_K_M, Q5_K_M)", kExitUsage);
}

// GPT-2's bytes_to_unicode order: printable Latin-1 bytes first (as
// themselves), then the rest mapped to U+0100 upwards.
std::vector<std::string> ByteTokens() {
  std::vector<int> bytes, cps;
  for (int b = '!'; b <= '~'; ++b) bytes.push_back(b);
  for (int b = 0xA1; b <= 0xAC; ++b) bytes.push_back(b);
  for (int b = 0xAE; b <= 0xFF; ++b) bytes.push_back(b);
  cps = bytes;
  int n = 0;
  for (int b = 0; b < 256; ++b)
    if (std::find(bytes.begin(), bytes.end(), b) == bytes.end()) {
      bytes.push_back(b);
      cps.push_back(256 + n++);
    }
  std::vector<std::string> out;
  for (int cp : cps) {
    std::string s;
    if (cp < 0x80) s.push_back(static_cast<char>(cp));
    else {
      s.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      s.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    out.push_back(s);
  }
  return out;
}

constexpr const char* kLlama3Template =
    "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}";

// The 256 byte tokens plus Llama 3's five special tokens, no merges.
// `wanted` > 261 pads with reserved special tokens, as Llama 3 reserves its own,
// so a model can have a real vocabulary's output size (e.g. 128256).
void AddBuiltinVocab(native::GgufWriter* w, int64_t wanted, int64_t* n_vocab) {
  std::vector<std::string> tokens = ByteTokens();
  std::vector<int64_t> types(tokens.size(), 1);
  for (const char* s : {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}) {
    tokens.push_back(s);
    types.push_back(3);
  }
  for (int64_t i = 0; static_cast<int64_t>(tokens.size()) < wanted; ++i) {
    tokens.push_back("<|reserved_special_token_" + std::to_string(i) + "|>");
    types.push_back(3);
  }
  *n_vocab = static_cast<int64_t>(tokens.size());
  w->Add("tokenizer.ggml.model", MetaValue::Str("gpt2"));
  w->Add("tokenizer.ggml.pre", MetaValue::Str("llama-bpe"));
  w->Add("tokenizer.ggml.tokens", MetaValue::StrArray(tokens));
  w->Add("tokenizer.ggml.token_type", MetaValue::IntArray(GgufValueType::kInt32, types));
  w->Add("tokenizer.ggml.merges", MetaValue::StrArray({}));
  w->Add("tokenizer.ggml.bos_token_id", MetaValue::Int(GgufValueType::kUint32, 256));
  w->Add("tokenizer.ggml.eos_token_id", MetaValue::Int(GgufValueType::kUint32, 260));
  w->Add("tokenizer.ggml.add_bos_token", MetaValue::Bool(true));
  w->Add("tokenizer.ggml.add_eos_token", MetaValue::Bool(false));
  w->Add("tokenizer.chat_template", MetaValue::Str(kLlama3Template));
}

int CreateRandomCommand(std::span<const std::string> args) {
  std::string out, type_name = "F32", vocab_from, name, arch = "llama";
  long long n_embd = 64, n_layer = 2, n_head = 4, n_head_kv = 2, n_ff = 128, n_vocab = 0, seed = 1, n_ctx = 512,
            head_dim = 0;
  double rope_base = 500000.0, sigma = 0.05;
  Flags f("model create-random", "--out F.gguf [--arch llama|qwen2|gemma2] [--type Q4_0] [--n-embd N ...]",
          "Writes a small random model (GGUF v3) of a supported architecture, usable by the built-in\n"
          "engine. Without --vocab-from the vocabulary is the 256 GPT-2 byte tokens plus Llama 3's specials.");
  f.String("out", &out, "output GGUF path", "F.gguf")
      .String("arch", &arch, "architecture: " + ArchitectureList(), "ARCH")
      .String("type", &type_name, "type of the weight matrices, or a mixture Q4_K_M / Q5_K_M (norms stay F32)", "TYPE")
      .String("vocab-from", &vocab_from, "copy tokenizer.* metadata from this GGUF", "F.gguf")
      .String("name", &name, "general.name (default random-ARCH)", "NAME")
      .Int64("n-embd", &n_embd, "embedding width")
      .Int64("n-layer", &n_layer, "number of blocks")
      .Int64("n-head", &n_head, "query heads")
      .Int64("n-head-kv", &n_head_kv, "key/value heads")
      .Int64("head-dim", &head_dim, "width of one head; 0 means n-embd / n-head")
      .Int64("n-ff", &n_ff, "feed-forward width")
      .Int64("n-vocab", &n_vocab, "vocabulary size (0 = that of the vocabulary; the built-in one is padded with reserved tokens)")
      .Int64("n-ctx", &n_ctx, "context length")
      .Int64("seed", &seed, "random seed")
      .Double("rope-base", &rope_base, "RoPE frequency base")
      .Double("sigma", &sigma, "standard deviation of the weights");
  if (!f.Parse(args)) return kExitOk;
  if (out.empty()) throw Error("model create-random: --out is required", kExitUsage);
  if (!native::FindArchitecture(arch))
    throw Error("model create-random: unknown --arch '" + arch + "' (valid: " + ArchitectureList() + ")", kExitUsage);
  const WeightTypes types = ParseType(type_name);
  auto positive = [](const char* what, long long v) {
    if (v <= 0 || v > (1 << 20)) throw Error(std::string("model create-random: --") + what + " must be in 1..1048576", kExitUsage);
  };
  positive("n-embd", n_embd), positive("n-layer", n_layer), positive("n-head", n_head);
  positive("n-head-kv", n_head_kv), positive("n-ff", n_ff), positive("n-ctx", n_ctx);
  if (head_dim != 0) positive("head-dim", head_dim);
  if (head_dim == 0 && (n_embd % n_head != 0 || (n_embd / n_head) % 2 != 0))
    throw Error("model create-random: --n-embd must split into --n-head heads of even size", kExitUsage);
  if (head_dim % 2 != 0) throw Error("model create-random: --head-dim must be even", kExitUsage);
  if (n_head % n_head_kv != 0)
    throw Error("model create-random: --n-head must be a multiple of --n-head-kv", kExitUsage);
  const int64_t block = native::Traits(types.base).block_size;
  const int64_t q_dim = n_head * (head_dim > 0 ? head_dim : n_embd / n_head);
  if (n_embd % block != 0 || n_ff % block != 0 || q_dim % block != 0)
    throw Error("model create-random: --type " + type_name + " needs --n-embd, --n-ff and n-head x head-dim to be multiples of " +
                    std::to_string(block),
                kExitUsage);

  native::GgufWriter w;
  w.Add("general.architecture", MetaValue::Str(arch));
  w.Add("general.name", MetaValue::Str(name.empty() ? "random-" + arch : name));
  int64_t vocab_size = 0;
  if (!vocab_from.empty()) {
    auto src = ModelFile::Open(vocab_from);
    for (const auto& [k, v] : src->metadata())
      if (k.rfind("tokenizer.", 0) == 0) w.Add(k, v);
    if (!src->Has("tokenizer.ggml.tokens")) throw Error(vocab_from + ": has no tokenizer.ggml.tokens", kExitUsage);
    vocab_size = static_cast<int64_t>(src->Get("tokenizer.ggml.tokens").ArraySize());
  } else {
    AddBuiltinVocab(&w, n_vocab, &vocab_size);
  }
  if (n_vocab != 0 && n_vocab != vocab_size)
    throw Error("model create-random: --n-vocab " + std::to_string(n_vocab) + " differs from the vocabulary's " +
                    std::to_string(vocab_size) + " tokens",
                kExitUsage);

  native::RandomModelSpec spec;
  spec.arch = arch;
  spec.n_vocab = vocab_size;
  spec.n_embd = n_embd, spec.n_layer = n_layer, spec.n_head = n_head, spec.n_head_kv = n_head_kv;
  spec.head_dim = head_dim, spec.n_ff = n_ff, spec.n_ctx = n_ctx;
  spec.rope_base = rope_base, spec.sigma = sigma, spec.seed = static_cast<uint64_t>(seed);
  spec.type = [&](const std::string& tensor, int64_t layer) { return types.For(tensor, layer, n_layer); };
  native::AddRandomModel(spec, w);
  w.Write(out);
  std::printf("wrote %s (%s %s, %lld layers, n_embd %lld, vocab %lld)\n", out.c_str(), arch.c_str(), type_name.c_str(),
              n_layer, n_embd, static_cast<long long>(vocab_size));
  return kExitOk;
}

const RegisterCommand kModel("model", "model-file tools: `model info`, `model create-random`, ... (bhasa model --help)",
                             ModelCommand);
const RegisterCommand kInfo("model info", "architecture, shapes, tensor types, vocabulary of a model file",
                            InfoCommand);
const RegisterCommand kCreate("model create-random", "write a random GGUF of any supported architecture, for tests and benchmarks",
                              CreateRandomCommand);

}  // namespace
}  // namespace bhasa
