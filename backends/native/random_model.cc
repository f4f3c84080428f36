#include "backends/native/random_model.h"

#include <random>
#include <vector>

#include "backends/native/arch/arch.h"
#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa::native {
namespace {

void Check(bool ok, const std::string& what) {
  if (!ok) throw Error("random model: " + what, kExitUsage);
}

}  // namespace

void AddRandomModel(const RandomModelSpec& s, GgufWriter& w) {
  const Architecture* arch = FindArchitecture(s.arch);
  if (!arch) {
    std::string known;
    for (const auto& n : ArchitectureNames()) known += (known.empty() ? "" : ", ") + n;
    Check(false, "unknown architecture '" + s.arch + "' (known: " + known + ")");
  }
  const int64_t head_dim = s.head_dim > 0 ? s.head_dim : s.n_embd / std::max<int64_t>(s.n_head, 1);
  Check(s.n_vocab > 0 && s.n_embd > 0 && s.n_layer > 0 && s.n_head > 0 && s.n_head_kv > 0 && s.n_ff > 0 && s.n_ctx > 0,
        "every dimension must be positive");
  Check(s.head_dim > 0 || s.n_embd % s.n_head == 0, "n_embd must split into n_head heads (or give head_dim)");
  Check(head_dim % 2 == 0, "head dimension " + std::to_string(head_dim) + " must be even");
  Check(s.n_head % s.n_head_kv == 0, "n_head must be a multiple of n_head_kv");

  const std::string a = s.arch + ".";
  auto u32 = [](int64_t v) { return MetaValue::Int(GgufValueType::kUint32, v); };
  auto f32 = [](double v) { return MetaValue::Float(GgufValueType::kFloat32, v); };
  w.Add(a + "block_count", u32(s.n_layer));
  w.Add(a + "context_length", u32(s.n_ctx));
  w.Add(a + "embedding_length", u32(s.n_embd));
  w.Add(a + "feed_forward_length", u32(s.n_ff));
  w.Add(a + "attention.head_count", u32(s.n_head));
  w.Add(a + "attention.head_count_kv", u32(s.n_head_kv));
  w.Add(a + "attention.key_length", u32(head_dim));
  w.Add(a + "attention.value_length", u32(head_dim));
  w.Add(a + "rope.dimension_count", u32(head_dim));
  w.Add(a + "vocab_size", u32(s.n_vocab));
  w.Add(a + "rope.freq_base", f32(s.rope_base));
  w.Add(a + "attention.layer_norm_rms_epsilon", f32(1e-5));
  for (const auto& [key, v] : arch->layout.float_keys) w.Add(a + key, f32(v));
  for (const auto& [key, v] : arch->layout.int_keys) w.Add(a + key, u32(v));

  std::mt19937_64 rng(s.seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  int64_t layer = -1;  // of the tensors being added; -1 outside the blocks
  auto matrix = [&](const std::string& name, int64_t cols, int64_t rows) {
    std::vector<float> v(static_cast<size_t>(cols * rows));
    for (auto& x : v) x = static_cast<float>(s.sigma) * normal(rng);
    w.AddTensor(name, s.type(name, layer), {cols, rows}, v);
  };
  auto vec = [&](const std::string& name, int64_t n, float base, float scale) {
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = base + scale * normal(rng);
    w.AddTensor(name, GgmlType::F32, {n}, v);
  };
  const ArchLayout& lay = arch->layout;
  const int64_t e = s.n_embd, q = s.n_head * head_dim, kv = s.n_head_kv * head_dim;
  matrix("token_embd.weight", e, s.n_vocab);
  vec("output_norm.weight", e, 1.0f, 0.05f);
  if (!lay.tied) matrix("output.weight", e, s.n_vocab);
  for (int64_t l = 0; l < s.n_layer; ++l) {
    layer = l;
    const std::string p = "blk." + std::to_string(l) + ".";
    vec(p + "attn_norm.weight", e, 1.0f, 0.05f);
    matrix(p + "attn_q.weight", e, q);
    matrix(p + "attn_k.weight", e, kv);
    matrix(p + "attn_v.weight", e, kv);
    if (lay.qkv_bias) {
      vec(p + "attn_q.bias", q, 0.0f, static_cast<float>(s.sigma));
      vec(p + "attn_k.bias", kv, 0.0f, static_cast<float>(s.sigma));
      vec(p + "attn_v.bias", kv, 0.0f, static_cast<float>(s.sigma));
    }
    matrix(p + "attn_output.weight", q, e);
    if (lay.post_norms) vec(p + "post_attention_norm.weight", e, 1.0f, 0.05f);
    vec(p + "ffn_norm.weight", e, 1.0f, 0.05f);
    matrix(p + "ffn_gate.weight", e, s.n_ff);
    matrix(p + "ffn_up.weight", e, s.n_ff);
    matrix(p + "ffn_down.weight", s.n_ff, e);
    if (lay.post_norms) vec(p + "post_ffw_norm.weight", e, 1.0f, 0.05f);
  }
}

}  // namespace bhasa::native
