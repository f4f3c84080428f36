#include "backends/native/llama_model.h"

#include <cmath>
#include <map>
#include <numbers>

#include "common/error.h"

namespace bhasa::native {
namespace {

[[noreturn]] void Fail(const ModelFile& f, const std::string& msg) { throw Error(f.path() + ": " + msg); }

std::string Shape(const std::vector<int64_t>& ne) {
  std::string s = "[";
  for (size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

// Looks up a tensor and checks its ggml shape (ne order) and type support.
const TensorInfo* Need(const ModelFile& f, const std::string& name, std::vector<int64_t> ne) {
  if (!f.HasTensor(name)) Fail(f, "missing tensor " + name);
  const TensorInfo& t = f.Tensor(name);
  std::vector<int64_t> got = t.ne;
  while (got.size() > ne.size() && got.back() == 1) got.pop_back();
  if (got != ne) Fail(f, "tensor " + name + " has shape " + Shape(t.ne) + ", expected " + Shape(ne));
  if (!Traits(t.type).supported) Fail(f, "tensor " + name + " has unsupported type " + TypeName(t.type));
  return &t;
}

std::vector<float> Vector(const ModelFile& f, const std::string& name, int64_t n) {
  return Need(f, name, {n})->Dequantize();
}

// Llama 3.1 "llama3" RoPE scaling: per-frequency divisors, as the GGUF
// converters bake into rope_freqs.weight.
std::vector<float> Llama3FreqFactors(const ModelFile& f, const std::string& a, const LlamaHparams& hp) {
  const double factor = f.GetFloat(a + ".rope.scaling.factor", 8.0);
  const double low = f.GetFloat(a + ".rope.scaling.low_freq_factor", 1.0);
  const double high = f.GetFloat(a + ".rope.scaling.high_freq_factor", 4.0);
  const double old_ctx = f.GetFloat(a + ".rope.scaling.original_context_length", 8192.0);
  const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
  std::vector<float> out;
  for (int64_t i = 0; i < hp.rope_dim; i += 2) {
    const double freq = 1.0 / std::pow(static_cast<double>(hp.rope_freq_base), static_cast<double>(i) / hp.rope_dim);
    const double wavelen = 2 * std::numbers::pi / freq;
    if (wavelen < high_wavelen) {
      out.push_back(1.0f);
    } else if (wavelen > low_wavelen) {
      out.push_back(static_cast<float>(factor));
    } else {
      const double smooth = (old_ctx / wavelen - low) / (high - low);
      out.push_back(static_cast<float>(1.0 / ((1 - smooth) / factor + smooth)));
    }
  }
  return out;
}

}  // namespace

std::shared_ptr<const Model> Model::Load(const std::string& path) {
  std::shared_ptr<const ModelFile> file = ModelFile::Open(path);
  return std::make_shared<const Model>(std::move(file));
}

Model::Model(std::shared_ptr<const ModelFile> file) : file_(std::move(file)) {
  const ModelFile& f = *file_;
  const std::string a = f.GetString("general.architecture");
  if (a != "llama") Fail(f, "architecture '" + a + "' is not supported (only llama)");
  hp_.arch = a;
  hp_.n_embd = f.GetInt(a + ".embedding_length");
  hp_.n_layer = f.GetInt(a + ".block_count");
  hp_.n_head = f.GetInt(a + ".attention.head_count");
  hp_.n_head_kv = f.GetInt(a + ".attention.head_count_kv", hp_.n_head);
  hp_.n_ff = f.GetInt(a + ".feed_forward_length");
  hp_.n_ctx_train = f.GetInt(a + ".context_length", 4096);
  hp_.rope_freq_base = static_cast<float>(f.GetFloat(a + ".rope.freq_base", 10000.0));
  hp_.rms_eps = static_cast<float>(f.GetFloat(a + ".attention.layer_norm_rms_epsilon", 1e-5));
  if (hp_.n_embd <= 0 || hp_.n_layer <= 0 || hp_.n_head <= 0 || hp_.n_head_kv <= 0 || hp_.n_ff <= 0)
    Fail(f, "non-positive model dimension in metadata");
  if (hp_.n_head % hp_.n_head_kv != 0)
    Fail(f, "head_count " + std::to_string(hp_.n_head) + " is not a multiple of head_count_kv " +
                std::to_string(hp_.n_head_kv));
  hp_.head_dim = f.GetInt(a + ".attention.key_length", hp_.n_embd / hp_.n_head);
  if (hp_.head_dim <= 0 || hp_.head_dim % 2 != 0) Fail(f, "bad head dimension " + std::to_string(hp_.head_dim));
  hp_.rope_dim = f.GetInt(a + ".rope.dimension_count", hp_.head_dim);
  if (hp_.rope_dim <= 0 || hp_.rope_dim > hp_.head_dim || hp_.rope_dim % 2 != 0)
    Fail(f, "bad rope.dimension_count " + std::to_string(hp_.rope_dim));

  if (!f.HasTensor("token_embd.weight")) Fail(f, "missing tensor token_embd.weight");
  const TensorInfo& emb = f.Tensor("token_embd.weight");
  hp_.n_vocab = emb.rows();
  token_embd_ = Need(f, "token_embd.weight", {hp_.n_embd, hp_.n_vocab});
  output_ = f.HasTensor("output.weight") ? Need(f, "output.weight", {hp_.n_embd, hp_.n_vocab}) : token_embd_;
  output_norm_ = Vector(f, "output_norm.weight", hp_.n_embd);

  const int64_t e = hp_.n_embd, q = hp_.q_dim(), kv = hp_.kv_dim(), ff = hp_.n_ff;
  layers_.resize(hp_.n_layer);
  for (int64_t i = 0; i < hp_.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    LlamaLayer& l = layers_[i];
    l.attn_norm = Vector(f, p + "attn_norm.weight", e);
    l.ffn_norm = Vector(f, p + "ffn_norm.weight", e);
    l.wq = Need(f, p + "attn_q.weight", {e, q});
    l.wk = Need(f, p + "attn_k.weight", {e, kv});
    l.wv = Need(f, p + "attn_v.weight", {e, kv});
    l.wo = Need(f, p + "attn_output.weight", {q, e});
    l.ffn_gate = Need(f, p + "ffn_gate.weight", {e, ff});
    l.ffn_up = Need(f, p + "ffn_up.weight", {e, ff});
    l.ffn_down = Need(f, p + "ffn_down.weight", {ff, e});
  }

  if (f.HasTensor("rope_freqs.weight")) {
    freq_factors_ = Vector(f, "rope_freqs.weight", hp_.rope_dim / 2);
  } else if (f.GetString(a + ".rope.scaling.type", "") == "llama3") {
    freq_factors_ = Llama3FreqFactors(f, a, hp_);
  }
  for (const auto& t : f.tensors()) n_params_ += t.elements();
}

std::string Model::quantization() const {
  std::map<std::string, size_t> bytes;
  for (const auto& t : file_->tensors())
    if (t.ne.size() >= 2) bytes[TypeName(t.type)] += t.bytes;
  std::string best;
  size_t most = 0;
  for (const auto& [name, b] : bytes)
    if (b > most) best = name, most = b;
  return best;
}

}  // namespace bhasa::native
