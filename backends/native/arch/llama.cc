// llama: Llama 2/3 and Llama 3.1 (SEA-LION v2, v3.5). Pre-norm blocks,
// RoPE on adjacent pairs, SwiGLU; Llama 3.1's "llama3" rope scaling comes as
// per-frequency divisors (rope_freqs.weight, or derived from the
// rope.scaling.* keys when a converter left the tensor out).
#include <cmath>
#include <numbers>

#include "backends/native/arch/arch.h"
#include "backends/native/arch/program.h"
#include "backends/native/llama_model.h"

namespace bhasa::native {
namespace {

std::vector<float> Llama3FreqFactors(const ModelFile& f, const Hparams& hp) {
  const std::string a = hp.arch;
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

void Describe(const ModelFile& f, const Hparams& hp, ArchOptions& o) {
  if (f.HasTensor("rope_freqs.weight")) {
    o.freq_factors = RequireVector(f, "rope_freqs.weight", hp.rope_dim / 2);
  } else if (f.GetString(hp.arch + ".rope.scaling.type", "") == "llama3") {
    o.freq_factors = Llama3FreqFactors(f, hp);
  }
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
    b.Matmul(*l.wk, Buf::kH, Buf::kK);
    b.Matmul(*l.wv, Buf::kH, Buf::kV);
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

const Architecture kLlama{"llama", {}, Describe, Build};
const RegisterArchitecture kRegister(kLlama);

}  // namespace
}  // namespace bhasa::native
