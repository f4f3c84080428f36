#include "backends/native/hf_config.h"

#include <regex>

#include "common/error.h"

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

double OptFloat(const json& j, const char* key, double fallback, const std::string& path) {
  const json* v = Field(j, key);
  if (!v) return fallback;
  if (!v->is_number()) throw Error(path + ": field '" + key + "' must be a number");
  return v->get<double>();
}

void PutU32(std::map<std::string, MetaValue>* m, const std::string& k, int64_t v) {
  (*m)[k] = MetaValue::Int(GgufValueType::kUint32, v);
}
void PutF32(std::map<std::string, MetaValue>* m, const std::string& k, double v) {
  (*m)[k] = MetaValue::Float(GgufValueType::kFloat32, v);
}

// First integer of a token id field that may be an int or a list of ints.
bool TokenId(const json& j, const char* key, int64_t* out) {
  const json* v = Field(j, key);
  if (!v) return false;
  if (v->is_number_integer()) {
    *out = v->get<int64_t>();
    return true;
  }
  if (v->is_array() && !v->empty() && (*v)[0].is_number_integer()) {
    *out = (*v)[0].get<int64_t>();
    return true;
  }
  return false;
}

}  // namespace

std::map<std::string, MetaValue> TranslateHfConfig(const json& c, const std::string& path) {
  if (!c.is_object()) throw Error(path + ": not a JSON object");
  std::string model_type = c.value("model_type", std::string("llama"));
  if (model_type != "llama" && model_type != "mistral")
    throw Error(path + ": model_type '" + model_type + "' is not supported (llama, mistral)");
  std::map<std::string, MetaValue> m;
  m["general.architecture"] = MetaValue::Str("llama");
  if (const json* n = Field(c, "_name_or_path"); n && n->is_string()) m["general.name"] = MetaValue::Str(*n);
  const int64_t n_embd = RequireInt(c, "hidden_size", path);
  const int64_t n_head = RequireInt(c, "num_attention_heads", path);
  const int64_t n_head_kv = Field(c, "num_key_value_heads") ? RequireInt(c, "num_key_value_heads", path) : n_head;
  if (n_head % n_head_kv != 0)
    throw Error(path + ": num_attention_heads " + std::to_string(n_head) +
                " is not a multiple of num_key_value_heads " + std::to_string(n_head_kv));
  const int64_t head_dim = Field(c, "head_dim") ? RequireInt(c, "head_dim", path) : n_embd / n_head;
  PutU32(&m, "llama.block_count", RequireInt(c, "num_hidden_layers", path));
  PutU32(&m, "llama.embedding_length", n_embd);
  PutU32(&m, "llama.feed_forward_length", RequireInt(c, "intermediate_size", path));
  PutU32(&m, "llama.attention.head_count", n_head);
  PutU32(&m, "llama.attention.head_count_kv", n_head_kv);
  PutU32(&m, "llama.rope.dimension_count", head_dim);
  if (Field(c, "head_dim")) PutU32(&m, "llama.attention.key_length", head_dim), PutU32(&m, "llama.attention.value_length", head_dim);
  PutU32(&m, "llama.context_length", Field(c, "max_position_embeddings") ? RequireInt(c, "max_position_embeddings", path) : 4096);
  PutU32(&m, "llama.vocab_size", RequireInt(c, "vocab_size", path));
  PutF32(&m, "llama.rope.freq_base", OptFloat(c, "rope_theta", 10000.0, path));
  PutF32(&m, "llama.attention.layer_norm_rms_epsilon", OptFloat(c, "rms_norm_eps", 1e-5, path));
  if (const json* rs = Field(c, "rope_scaling")) {
    if (!rs->is_object()) throw Error(path + ": field 'rope_scaling' must be an object");
    std::string type = rs->value("rope_type", rs->value("type", std::string()));
    if (type.empty()) throw Error(path + ": rope_scaling has no 'rope_type'");
    m["llama.rope.scaling.type"] = MetaValue::Str(type);
    PutF32(&m, "llama.rope.scaling.factor", OptFloat(*rs, "factor", 1.0, path));
    if (Field(*rs, "low_freq_factor"))
      PutF32(&m, "llama.rope.scaling.low_freq_factor", OptFloat(*rs, "low_freq_factor", 1.0, path));
    if (Field(*rs, "high_freq_factor"))
      PutF32(&m, "llama.rope.scaling.high_freq_factor", OptFloat(*rs, "high_freq_factor", 4.0, path));
    if (Field(*rs, "original_max_position_embeddings"))
      PutU32(&m, "llama.rope.scaling.original_context_length",
             RequireInt(*rs, "original_max_position_embeddings", path));
  }
  int64_t id;
  if (TokenId(c, "bos_token_id", &id)) PutU32(&m, "tokenizer.ggml.bos_token_id", id);
  if (TokenId(c, "eos_token_id", &id)) PutU32(&m, "tokenizer.ggml.eos_token_id", id);
  return m;
}

void TranslateTokenizerConfig(const json& t, std::map<std::string, MetaValue>* meta) {
  if (!t.is_object()) return;
  if (const json* ct = Field(t, "chat_template"); ct && ct->is_string())
    (*meta)["tokenizer.chat_template"] = MetaValue::Str(*ct);
  if (const json* b = Field(t, "add_bos_token"); b && b->is_boolean())
    (*meta)["tokenizer.ggml.add_bos_token"] = MetaValue::Bool(*b);
  if (const json* e = Field(t, "add_eos_token"); e && e->is_boolean())
    (*meta)["tokenizer.ggml.add_eos_token"] = MetaValue::Bool(*e);
}

std::string HfToGgufTensorName(const std::string& n) {
  if (n == "model.embed_tokens.weight") return "token_embd.weight";
  if (n == "model.norm.weight") return "output_norm.weight";
  if (n == "lm_head.weight") return "output.weight";
  static const std::regex kLayer(R"(model\.layers\.(\d+)\.(.+))");
  std::smatch mt;
  if (!std::regex_match(n, mt, kLayer)) return n;
  static const std::pair<const char*, const char*> kMap[] = {
      {"input_layernorm.weight", "attn_norm.weight"},
      {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},
      {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.o_proj.weight", "attn_output.weight"},
      {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},
      {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"},
  };
  const std::string rest = mt[2];
  if (rest == "self_attn.rotary_emb.inv_freq") return "";
  for (const auto& [hf, gg] : kMap)
    if (rest == hf) return "blk." + mt[1].str() + "." + gg;
  return n;
}

}  // namespace bhasa::native
