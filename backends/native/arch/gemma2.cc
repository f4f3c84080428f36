// gemma2: Gemma 2 (SEA-LION v3). Differs from llama in every sub-block:
// embeddings scaled by sqrt(n_embd); RoPE on halves; queries pre-scaled by
// 1/sqrt(query_pre_attn_scalar) (head_dim, or n_embd/n_head for the
// 46-layer 27B, as llama.cpp picks it); attention scores soft-capped at
// attn_logit_softcapping; even layers attend within a sliding window, odd
// ones globally; RMSNorm after attention and after the FFN as well as before
// (the GGUF norm weights already hold Gemma's 1 + w); GELU-tanh gated FFN;
// tied output; final logits soft-capped at final_logit_softcapping.
#include <cmath>

#include "backends/native/arch/arch.h"
#include "backends/native/arch/program.h"
#include "backends/native/llama_model.h"

namespace bhasa::native {
namespace {

constexpr int64_t kLayers27B = 46;

void Describe(const ModelFile& f, const Hparams& hp, ArchOptions& o) {
  const std::string a = hp.arch;
  o.rope_neox = true;
  o.post_norms = true;
  o.activation = Activation::kGeluTanh;
  o.embd_scale = std::sqrt(static_cast<float>(hp.n_embd));
  const int64_t q_pre = hp.n_layer == kLayers27B ? hp.n_embd / hp.n_head : hp.head_dim;
  o.q_scale = 1.0f / std::sqrt(static_cast<float>(q_pre));
  o.attn_softcap = KeyFloat(f, a + ".attn_logit_softcapping", 50.0f);
  o.final_softcap = KeyFloat(f, a + ".final_logit_softcapping", 30.0f);
  if (o.attn_softcap <= 0 || o.final_softcap <= 0) ArchFail(f, a + ": soft-capping values must be positive");
  o.sliding_window = f.GetInt(a + ".attention.sliding_window", 4096);
  if (o.sliding_window <= 0) ArchFail(f, a + ".attention.sliding_window must be positive");
  o.sliding.resize(hp.n_layer);
  for (int64_t il = 0; il < hp.n_layer; ++il) o.sliding[il] = il % 2 == 0;
  o.output = OutputTensor::kTokenEmbd;
}

Program Build(const Model& m) {
  const Hparams& hp = m.hparams();
  const ArchOptions& o = m.options();
  ProgramBuilder b(m.rope());
  b.Embed(m.token_embd());
  b.Scale(Buf::kX, o.embd_scale);
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& l = m.layer(il);
    b.Norm(Buf::kX, Buf::kH, l.attn_norm, hp.rms_eps);
    b.Matmul(*l.wq, Buf::kH, Buf::kQ);
    b.Matmul(*l.wk, Buf::kH, Buf::kK);
    b.Matmul(*l.wv, Buf::kH, Buf::kV);
    b.Rope(Buf::kQ);
    b.Rope(Buf::kK);
    b.Scale(Buf::kQ, o.q_scale);
    b.Attention(il, 1.0f, o.sliding[il] ? o.sliding_window : 0, o.attn_softcap, il == hp.n_layer - 1);
    b.Matmul(*l.wo, Buf::kAttn, Buf::kH);
    b.Norm(Buf::kH, Buf::kH, l.post_attn_norm, hp.rms_eps);
    b.Add(Buf::kX, Buf::kH);
    b.Norm(Buf::kX, Buf::kH, l.ffn_norm, hp.rms_eps);
    b.Matmul(*l.ffn_gate, Buf::kH, Buf::kGate);
    b.Matmul(*l.ffn_up, Buf::kH, Buf::kUp);
    b.Glu(Activation::kGeluTanh);
    b.Matmul(*l.ffn_down, Buf::kGate, Buf::kH);
    b.Norm(Buf::kH, Buf::kH, l.post_ffn_norm, hp.rms_eps);
    b.Add(Buf::kX, Buf::kH);
  }
  b.Norm(Buf::kX, Buf::kH, m.output_norm(), hp.rms_eps);
  b.Matmul(m.output(), Buf::kH, Buf::kLogits);
  b.Softcap(Buf::kLogits, o.final_softcap);
  return b.Finish();
}

const Architecture kGemma2{"gemma2", {.post_norms = true,
                                  .tied = true,
                                  .float_keys = {{"attn_logit_softcapping", 50.0f}, {"final_logit_softcapping", 30.0f}},
                                  .int_keys = {{"attention.sliding_window", 4096}}}, Describe, Build};
const RegisterArchitecture kRegister(kGemma2);

}  // namespace
}  // namespace bhasa::native
