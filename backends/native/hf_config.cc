#include "backends/native/hf_config.h"

#include <regex>
#include <utility>

#include "common/error.h"
#include "common/json_field.h"

namespace bhasa::native {
namespace {

using nlohmann::json;

const json* Field(const json& j, const char* key) {
  auto it = j.find(key);
  return (it == j.end() || it->is_null()) ? nullptr : &*it;
}

int64_t RequireInt(const json& j, const char* key, const std::string& path) {
  const json* v = Field(j, key);
  if (!v || !v->is_number_integer()) throw Error(path + ": field '" + key + "' must be an integer");
  int64_t x = v->get<int64_t>();
  if (x <= 0) throw Error(path + ": field '" + key + "' must be positive, got " + std::to_string(x));
  return x;
}

int64_t OptInt(const json& j, const char* key, int64_t fallback, const std::string& path) {
  return Field(j, key) ? RequireInt(j, key, path) : fallback;
}

double RequireFloat(const json& j, const char* key, const std::string& path) {
  const json* v = Field(j, key);
  if (!v || !v->is_number()) throw Error(path + ": field '" + key + "' must be a number");
  return v->get<double>();
}

double OptFloat(const json& j, const char* key, double fallback, const std::string& path) {
  return Field(j, key) ? RequireFloat(j, key, path) : fallback;
}

std::string OptString(const json& j, const char* key, const std::string& fallback, const std::string& path) {
  const json* v = Field(j, key);
  if (!v) return fallback;
  if (!v->is_string()) throw Error(path + ": field '" + key + "' must be a string");
  return v->get<std::string>();
}

// First integer of a token id field that may be an int or a list of ints.
bool TokenId(const json& j, const char* key, int64_t* out, const std::string& path) {
  const json* v = Field(j, key);
  if (!v || (v->is_array() && v->empty())) return false;
  *out = FieldAs<int64_t>(v->is_array() ? (*v)[0] : *v, key, path);
  return true;
}

// Writes "<arch>.<key>" values.
class MetaWriter {
 public:
  MetaWriter(std::string arch, std::map<std::string, MetaValue>* m) : arch_(std::move(arch)), m_(m) {}
  void U32(const std::string& key, int64_t v) { (*m_)[arch_ + "." + key] = MetaValue::Int(GgufValueType::kUint32, v); }
  void F32(const std::string& key, double v) { (*m_)[arch_ + "." + key] = MetaValue::Float(GgufValueType::kFloat32, v); }
  void Str(const std::string& key, std::string v) { (*m_)[arch_ + "." + key] = MetaValue::Str(std::move(v)); }

 private:
  std::string arch_;
  std::map<std::string, MetaValue>* m_;
};

struct ArchDefaults {
  const char* arch;
  double rms_norm_eps;  // the transformers config class's default
};

ArchDefaults ArchOf(const std::string& model_type, const std::string& path) {
  if (model_type == "llama" || model_type == "mistral") return {"llama", 1e-5};
  if (model_type == "qwen2") return {"qwen2", 1e-6};
  if (model_type == "gemma2") return {"gemma2", 1e-6};
  throw Error(path + ": model_type '" + model_type + "' is not supported (llama, mistral, qwen2, gemma2)");
}

// The keys every architecture has: the transformer's shape, norm epsilon,
// RoPE base. Returns head_dim.
int64_t PutCommon(const json& c, const std::string& path, const ArchDefaults& a, MetaWriter* w) {
  const int64_t n_embd = RequireInt(c, "hidden_size", path);
  const int64_t n_head = RequireInt(c, "num_attention_heads", path);
  const int64_t n_head_kv = OptInt(c, "num_key_value_heads", n_head, path);
  if (n_head % n_head_kv != 0)
    throw Error(path + ": num_attention_heads " + std::to_string(n_head) +
                " is not a multiple of num_key_value_heads " + std::to_string(n_head_kv));
  w->U32("context_length", OptInt(c, "max_position_embeddings", 4096, path));
  w->U32("embedding_length", n_embd);
  w->U32("block_count", RequireInt(c, "num_hidden_layers", path));
  w->U32("feed_forward_length", RequireInt(c, "intermediate_size", path));
  w->U32("attention.head_count", n_head);
  w->U32("attention.head_count_kv", n_head_kv);
  w->F32("attention.layer_norm_rms_epsilon", OptFloat(c, "rms_norm_eps", a.rms_norm_eps, path));
  w->F32("rope.freq_base", OptFloat(c, "rope_theta", 10000.0, path));
  if (Field(c, "head_dim")) {
    const int64_t head_dim = RequireInt(c, "head_dim", path);
    w->U32("attention.key_length", head_dim);
    w->U32("attention.value_length", head_dim);
    return head_dim;
  }
  return n_embd / n_head;
}

void PutRopeScaling(const json& c, const std::string& path, MetaWriter* w) {
  const json* rs = Field(c, "rope_scaling");
  if (!rs) return;
  if (!rs->is_object()) throw Error(path + ": field 'rope_scaling' must be an object");
  std::string type = OptString(*rs, "rope_type", OptString(*rs, "type", "", path), path);
  if (type.empty()) throw Error(path + ": rope_scaling has no 'rope_type'");
  w->Str("rope.scaling.type", type);
  w->F32("rope.scaling.factor", OptFloat(*rs, "factor", 1.0, path));
  if (Field(*rs, "low_freq_factor")) w->F32("rope.scaling.low_freq_factor", RequireFloat(*rs, "low_freq_factor", path));
  if (Field(*rs, "high_freq_factor"))
    w->F32("rope.scaling.high_freq_factor", RequireFloat(*rs, "high_freq_factor", path));
  if (Field(*rs, "original_max_position_embeddings"))
    w->U32("rope.scaling.original_context_length", RequireInt(*rs, "original_max_position_embeddings", path));
}

}  // namespace

std::map<std::string, MetaValue> TranslateHfConfig(const json& c, const std::string& path) {
  if (!c.is_object()) throw Error(path + ": not a JSON object");
  const ArchDefaults a = ArchOf(OptString(c, "model_type", "llama", path), path);
  const std::string arch = a.arch;
  std::map<std::string, MetaValue> m;
  m["general.architecture"] = MetaValue::Str(arch);
  if (const json* n = Field(c, "_name_or_path"); n && n->is_string()) m["general.name"] = MetaValue::Str(*n);
  MetaWriter w(arch, &m);
  const int64_t head_dim = PutCommon(c, path, a, &w);
  if (arch == "llama") {
    w.U32("rope.dimension_count", head_dim);
    w.U32("vocab_size", RequireInt(c, "vocab_size", path));
  }
  if (arch == "gemma2") {
    // The converter reads these without defaults; a config without them is
    // not a Gemma 2 checkpoint it would convert.
    RequireInt(c, "head_dim", path);
    w.F32("attn_logit_softcapping", RequireFloat(c, "attn_logit_softcapping", path));
    w.F32("final_logit_softcapping", RequireFloat(c, "final_logit_softcapping", path));
    w.U32("attention.sliding_window", RequireInt(c, "sliding_window", path));
  } else {
    PutRopeScaling(c, path, &w);
  }
  int64_t id;
  if (TokenId(c, "bos_token_id", &id, path)) m["tokenizer.ggml.bos_token_id"] = MetaValue::Int(GgufValueType::kUint32, id);
  if (TokenId(c, "eos_token_id", &id, path)) m["tokenizer.ggml.eos_token_id"] = MetaValue::Int(GgufValueType::kUint32, id);
  return m;
}

void TranslateTokenizerConfig(const json& t, const std::string& path, std::map<std::string, MetaValue>* meta) {
  if (!t.is_object()) throw Error(path + ": not a JSON object");
  // A list of named templates is the vocab loader's to pick from.
  if (const json* ct = Field(t, "chat_template"); ct && !ct->is_array())
    (*meta)["tokenizer.chat_template"] = MetaValue::Str(FieldAs<std::string>(*ct, "chat_template", path));
  if (const json* b = Field(t, "add_bos_token"))
    (*meta)["tokenizer.ggml.add_bos_token"] = MetaValue::Bool(FieldAs<bool>(*b, "add_bos_token", path));
  if (const json* e = Field(t, "add_eos_token"))
    (*meta)["tokenizer.ggml.add_eos_token"] = MetaValue::Bool(FieldAs<bool>(*e, "add_eos_token", path));
}

std::string HfToGgufTensorName(const std::string& arch, const std::string& n) {
  if (n == "model.embed_tokens.weight") return "token_embd.weight";
  if (n == "model.norm.weight") return "output_norm.weight";
  // Gemma 2 ties the output to the embedding; the converter drops a stray lm_head.
  if (n == "lm_head.weight") return arch == "gemma2" ? "" : "output.weight";
  static const std::regex kLayer(R"(model\.layers\.(\d+)\.(.+))");
  std::smatch mt;
  if (!std::regex_match(n, mt, kLayer)) return n;
  static const std::pair<const char*, const char*> kCommon[] = {
      {"input_layernorm.weight", "attn_norm.weight"},
      {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},
      {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.o_proj.weight", "attn_output.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},
      {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"},
  };
  // Llama and Qwen2 have one norm before the MLP; Gemma 2 normalises both
  // sides of attention and of the MLP.
  static const std::pair<const char*, const char*> kLlama[] = {
      {"post_attention_layernorm.weight", "ffn_norm.weight"},
  };
  static const std::pair<const char*, const char*> kQwen2[] = {
      {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"self_attn.q_proj.bias", "attn_q.bias"},
      {"self_attn.k_proj.bias", "attn_k.bias"},
      {"self_attn.v_proj.bias", "attn_v.bias"},
  };
  static const std::pair<const char*, const char*> kGemma2[] = {
      {"post_attention_layernorm.weight", "post_attention_norm.weight"},
      {"pre_feedforward_layernorm.weight", "ffn_norm.weight"},
      {"post_feedforward_layernorm.weight", "post_ffw_norm.weight"},
  };
  const std::string rest = mt[2];
  if (rest == "self_attn.rotary_emb.inv_freq") return "";
  auto lookup = [&](const auto& table) -> std::string {
    for (const auto& [hf, gg] : table)
      if (rest == hf) return "blk." + mt[1].str() + "." + gg;
    return "";
  };
  std::string out = lookup(kCommon);
  if (out.empty()) out = arch == "gemma2" ? lookup(kGemma2) : arch == "qwen2" ? lookup(kQwen2) : lookup(kLlama);
  return out.empty() ? n : out;
}

bool HfPermutesQk(const std::string& arch) { return arch == "llama"; }

bool HfNormIsOffsetByOne(const std::string& arch, const std::string& gguf_name) {
  return arch == "gemma2" && gguf_name.ends_with("norm.weight");
}

}  // namespace bhasa::native
