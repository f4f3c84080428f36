// qwen2: Qwen2 / Qwen2.5 (Sailor2, SeaLLMs). Llama's block with biases on
// the Q, K and V projections and RoPE on halves (ggml's NEOX mode).
#include <cmath>

#include "backends/native/arch/arch.h"
#include "backends/native/arch/program.h"
#include "backends/native/llama_model.h"

namespace bhasa::native {
namespace {

void Describe(const ModelFile&, const Hparams&, ArchOptions& o) {
  o.rope_neox = true;
  o.qkv_bias = true;
}

Program Build(const Model& m) {
  const Hparams& hp = m.hparams();
  ProgramBuilder b(m.rope());
  const float kq_scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim));
  b.Embed(m.token_embd());
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& l = m.layer(il);
    b.Norm(Buf::kX, Buf::kH, l.attn_norm, hp.rms_eps);
    b.Matmul(*l.wq, Buf::kH, Buf::kQ);
    b.AddBias(Buf::kQ, l.bq);
    b.Matmul(*l.wk, Buf::kH, Buf::kK);
    b.AddBias(Buf::kK, l.bk);
    b.Matmul(*l.wv, Buf::kH, Buf::kV);
    b.AddBias(Buf::kV, l.bv);
    b.Rope(Buf::kQ);
    b.Rope(Buf::kK);
    b.Attention(il, kq_scale, 0, 0.0f, il == hp.n_layer - 1);
    b.Matmul(*l.wo, Buf::kAttn, Buf::kH);
    b.Add(Buf::kX, Buf::kH);
    b.Norm(Buf::kX, Buf::kH, l.ffn_norm, hp.rms_eps);
    b.Matmul(*l.ffn_gate, Buf::kH, Buf::kGate);
    b.Matmul(*l.ffn_up, Buf::kH, Buf::kUp);
    b.Glu(Activation::kSilu);
    b.Matmul(*l.ffn_down, Buf::kGate, Buf::kH);
    b.Add(Buf::kX, Buf::kH);
  }
  b.Norm(Buf::kX, Buf::kH, m.output_norm(), hp.rms_eps);
  b.Matmul(m.output(), Buf::kH, Buf::kLogits);
  return b.Finish();
}

const Architecture kQwen2{"qwen2", {.qkv_bias = true, .float_keys = {}, .int_keys = {}}, Describe, Build};
const RegisterArchitecture kRegister(kQwen2);

}  // namespace
}  // namespace bhasa::native
