#include "backends/native/llama_model.h"

#include <map>

#include "common/error.h"

namespace bhasa::native {
namespace {

// The hyper-parameters every architecture shares, from "<arch>.*" keys.
Hparams ReadHparams(const ModelFile& f, const std::string& a) {
  Hparams hp;
  hp.arch = a;
  hp.n_embd = f.GetInt(a + ".embedding_length");
  hp.n_layer = f.GetInt(a + ".block_count");
  hp.n_head = f.GetInt(a + ".attention.head_count");
  hp.n_head_kv = f.GetInt(a + ".attention.head_count_kv", hp.n_head);
  hp.n_ff = f.GetInt(a + ".feed_forward_length");
  hp.n_ctx_train = f.GetInt(a + ".context_length", 4096);
  hp.rope_freq_base = KeyFloat(f, a + ".rope.freq_base", 10000.0f);
  hp.rms_eps = KeyFloat(f, a + ".attention.layer_norm_rms_epsilon", 1e-5f);
  if (hp.n_embd <= 0 || hp.n_layer <= 0 || hp.n_head <= 0 || hp.n_head_kv <= 0 || hp.n_ff <= 0)
    ArchFail(f, "non-positive model dimension in metadata");
  if (hp.n_head % hp.n_head_kv != 0)
    ArchFail(f, "head_count " + std::to_string(hp.n_head) + " is not a multiple of head_count_kv " +
                    std::to_string(hp.n_head_kv));
  hp.head_dim = f.GetInt(a + ".attention.key_length", hp.n_embd / hp.n_head);
  if (hp.head_dim <= 0 || hp.head_dim % 2 != 0) ArchFail(f, "bad head dimension " + std::to_string(hp.head_dim));
  if (f.GetInt(a + ".attention.value_length", hp.head_dim) != hp.head_dim)
    ArchFail(f, a + ".attention.value_length differs from key_length");
  hp.rope_dim = f.GetInt(a + ".rope.dimension_count", hp.head_dim);
  if (hp.rope_dim <= 0 || hp.rope_dim > hp.head_dim || hp.rope_dim % 2 != 0)
    ArchFail(f, "bad rope.dimension_count " + std::to_string(hp.rope_dim));
  return hp;
}

}  // namespace

std::shared_ptr<const Model> Model::Load(const std::string& path) {
  std::shared_ptr<const ModelFile> file = ModelFile::Open(path);
  return std::make_shared<const Model>(std::move(file));
}

Model::Model(std::shared_ptr<const ModelFile> file) : file_(std::move(file)) {
  const ModelFile& f = *file_;
  const std::string a = f.GetString("general.architecture");
  arch_ = FindArchitecture(a);
  if (!arch_) {
    std::string known;
    for (const auto& n : ArchitectureNames()) known += (known.empty() ? "" : ", ") + n;
    ArchFail(f, "architecture '" + a + "' is not supported (supported: " + known + ")");
  }
  hp_ = ReadHparams(f, a);
  arch_->describe(f, hp_, options_);
  if (!options_.sliding.empty() && static_cast<int64_t>(options_.sliding.size()) != hp_.n_layer)
    ArchFail(f, "sliding-window layer list does not cover every layer");
  if (options_.sliding_window < 0) ArchFail(f, a + ".attention.sliding_window is negative");

  if (!f.HasTensor("token_embd.weight")) ArchFail(f, "missing tensor token_embd.weight");
  hp_.n_vocab = f.Tensor("token_embd.weight").rows();
  token_embd_ = RequireTensor(f, "token_embd.weight", {hp_.n_embd, hp_.n_vocab});
  output_ = options_.output == OutputTensor::kOptional && f.HasTensor("output.weight")
                ? RequireTensor(f, "output.weight", {hp_.n_embd, hp_.n_vocab})
                : token_embd_;
  output_norm_ = RequireVector(f, "output_norm.weight", hp_.n_embd);

  const int64_t e = hp_.n_embd, q = hp_.q_dim(), kv = hp_.kv_dim(), ff = hp_.n_ff;
  layers_.resize(hp_.n_layer);
  for (int64_t i = 0; i < hp_.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    LayerWeights& l = layers_[i];
    l.attn_norm = RequireVector(f, p + "attn_norm.weight", e);
    l.ffn_norm = RequireVector(f, p + "ffn_norm.weight", e);
    l.wq = RequireTensor(f, p + "attn_q.weight", {e, q});
    l.wk = RequireTensor(f, p + "attn_k.weight", {e, kv});
    l.wv = RequireTensor(f, p + "attn_v.weight", {e, kv});
    l.wo = RequireTensor(f, p + "attn_output.weight", {q, e});
    l.ffn_gate = RequireTensor(f, p + "ffn_gate.weight", {e, ff});
    l.ffn_up = RequireTensor(f, p + "ffn_up.weight", {e, ff});
    l.ffn_down = RequireTensor(f, p + "ffn_down.weight", {ff, e});
    if (options_.qkv_bias) {
      l.bq = RequireVector(f, p + "attn_q.bias", q);
      l.bk = RequireVector(f, p + "attn_k.bias", kv);
      l.bv = RequireVector(f, p + "attn_v.bias", kv);
    }
    if (options_.post_norms) {
      l.post_attn_norm = RequireVector(f, p + "post_attention_norm.weight", e);
      l.post_ffn_norm = RequireVector(f, p + "post_ffw_norm.weight", e);
    }
  }
  for (const auto& t : f.tensors()) n_params_ += t.elements();
  program_ = arch_->build(*this);
}

RopeParams Model::rope() const {
  return RopeParams{.rope_dim = hp_.rope_dim,
                    .freq_base = hp_.rope_freq_base,
                    .freq_factors = options_.freq_factors.empty() ? nullptr : options_.freq_factors.data(),
                    .neox = options_.rope_neox};
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
