#include "backends/native/forward.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"

namespace bhasa::native {

Forward::Forward(const Model& model, const Kernels& kernels) : model_(model), kernels_(kernels) {
  const auto& hp = model.hparams();
  rope_.rope_dim = hp.rope_dim;
  rope_.freq_base = hp.rope_freq_base;
  rope_.freq_factors = model.freq_factors().empty() ? nullptr : model.freq_factors().data();
}

void Forward::Run(std::span<const SeqChunk> batch, std::vector<float>& logits) {
  const auto& hp = model_.hparams();
  const Kernels& K = kernels_;
  const int64_t e = hp.n_embd, qd = hp.q_dim(), kvd = hp.kv_dim(), ff = hp.n_ff, nv = hp.n_vocab;

  // Validate everything first so a bad entry leaves every cache untouched.
  int64_t n_tok = 0, n_out = 0;
  for (const auto& s : batch) {
    if (!s.cache) throw Error("forward: batch entry without a cache");
    if (s.cache->size() + static_cast<int64_t>(s.tokens.size()) > s.cache->n_ctx())
      throw Error("context length exceeded: " + std::to_string(s.cache->size()) + " + " +
                  std::to_string(s.tokens.size()) + " tokens > n_ctx " + std::to_string(s.cache->n_ctx()));
    for (int32_t t : s.tokens)
      if (t < 0 || t >= nv) throw Error("token id " + std::to_string(t) + " outside the vocabulary [0, " + std::to_string(nv) + ")");
    n_tok += static_cast<int64_t>(s.tokens.size());
    n_out += s.tokens.empty() ? 0 : (s.all_logits ? static_cast<int64_t>(s.tokens.size()) : 1);
  }
  logits.resize(n_out * nv);
  if (n_tok == 0) return;
  for (const auto& s : batch) s.cache->Reserve(static_cast<int64_t>(s.tokens.size()));

  tokens_.clear();
  pos_.clear();
  out_rows_.clear();
  for (const auto& s : batch)
    for (size_t i = 0; i < s.tokens.size(); ++i) {
      if (s.all_logits || i + 1 == s.tokens.size()) out_rows_.push_back(static_cast<int64_t>(tokens_.size()));
      tokens_.push_back(s.tokens[i]);
      pos_.push_back(static_cast<int32_t>(s.cache->size() + static_cast<int64_t>(i)));
    }
  int64_t n_rows = n_tok;  // rows still carried through the layers
  x_.resize(n_tok * e);
  h_.resize(n_tok * std::max(e, qd));
  q_.resize(n_tok * qd);
  k_.resize(n_tok * kvd);
  v_.resize(n_tok * kvd);
  attn_.resize(n_tok * qd);
  gate_.resize(n_tok * ff);
  up_.resize(n_tok * ff);

  K.get_rows(model_.token_embd(), tokens_.data(), n_tok, x_.data());
  const float scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim));

  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const LlamaLayer& L = model_.layer(il);
    for (int64_t t = 0; t < n_tok; ++t) K.rmsnorm(&x_[t * e], L.attn_norm.data(), e, hp.rms_eps, &h_[t * e]);
    K.matmul(*L.wq, h_.data(), n_tok, q_.data());
    K.matmul(*L.wk, h_.data(), n_tok, k_.data());
    K.matmul(*L.wv, h_.data(), n_tok, v_.data());
    K.rope(q_.data(), n_tok, hp.n_head, hp.head_dim, pos_.data(), rope_);
    K.rope(k_.data(), n_tok, hp.n_head_kv, hp.head_dim, pos_.data(), rope_);

    int64_t row = 0;
    for (const auto& s : batch) {
      const int64_t n = static_cast<int64_t>(s.tokens.size());
      if (n == 0) continue;
      s.cache->Write(il, s.cache->size(), &k_[row * kvd], &v_[row * kvd], n, kvd);
      AttentionArgs a;
      a.q = &q_[row * qd];
      a.n_tokens = n;
      a.pos = &pos_[row];
      a.kv = s.cache->View(il);
      a.n_head = hp.n_head;
      a.n_head_kv = hp.n_head_kv;
      a.head_dim = hp.head_dim;
      a.scale = scale;
      a.out = &attn_[row * qd];
      K.attention(a);
      row += n;
    }

    // Past the last layer's attention only the rows whose logits are wanted
    // matter: keep those (as llama.cpp does), skipping the rest's FFN.
    if (il == hp.n_layer - 1) n_rows = KeepOutputRows(qd);
    K.matmul(*L.wo, attn_.data(), n_rows, h_.data());
    K.add(x_.data(), h_.data(), n_rows * e);
    for (int64_t t = 0; t < n_rows; ++t) K.rmsnorm(&x_[t * e], L.ffn_norm.data(), e, hp.rms_eps, &h_[t * e]);
    K.matmul(*L.ffn_gate, h_.data(), n_rows, gate_.data());
    K.matmul(*L.ffn_up, h_.data(), n_rows, up_.data());
    K.swiglu(gate_.data(), up_.data(), n_rows * ff, gate_.data());
    K.matmul(*L.ffn_down, gate_.data(), n_rows, h_.data());
    K.add(x_.data(), h_.data(), n_rows * e);
  }
  for (const auto& s : batch) s.cache->Commit(static_cast<int64_t>(s.tokens.size()));
  if (hp.n_layer == 0) KeepOutputRows(qd);

  for (int64_t t = 0; t < n_out; ++t) K.rmsnorm(&x_[t * e], model_.output_norm().data(), e, hp.rms_eps, &h_[t * e]);
  K.matmul(model_.output(), h_.data(), n_out, logits.data());
}

int64_t Forward::KeepOutputRows(int64_t attn_width) {
  const int64_t e = model_.hparams().n_embd;
  for (size_t i = 0; i < out_rows_.size(); ++i) {
    const int64_t from = out_rows_[i], to = static_cast<int64_t>(i);
    if (from == to) continue;  // rows only move down, so copying in order is safe
    std::copy_n(&x_[from * e], e, &x_[to * e]);
    std::copy_n(&attn_[from * attn_width], attn_width, &attn_[to * attn_width]);
  }
  return static_cast<int64_t>(out_rows_.size());
}

}  // namespace bhasa::native
