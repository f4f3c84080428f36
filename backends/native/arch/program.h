// Program: the ops of one forward pass as a builder lists them, over a fixed
// set of activation buffers. Forward runs the steps in order for a batch of
// tokens; every step works on the rows still carried (all tokens, until
// kKeepOutputRows keeps only the rows whose logits are wanted).
//
// ProgramBuilder gives builders one call per op so an architecture's Build
// reads like its block diagram. Ownership: steps point into the Model's
// weights and decoded vectors; a Program lives inside its Model.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "backends/native/arch/arch.h"
#include "backends/native/kernels.h"

namespace bhasa::native {

// Activation buffers, one row per token, BufWidth floats wide.
// kLogits stays last: it is the caller's output, every other one is scratch.
enum class Buf { kX, kH, kQ, kK, kV, kAttn, kGate, kUp, kLogits };

inline int64_t BufWidth(const Hparams& hp, Buf b) {
  switch (b) {
    case Buf::kX: case Buf::kH: return hp.n_embd;
    case Buf::kQ: case Buf::kAttn: return hp.q_dim();
    case Buf::kK: case Buf::kV: return hp.kv_dim();
    case Buf::kGate: case Buf::kUp: return hp.n_ff;
    case Buf::kLogits: return hp.n_vocab;
  }
  return 0;
}

enum class Op {
  kEmbed,           // dst = token_embd rows of the batch's tokens
  kScale,           // dst *= value
  kNorm,            // dst = rmsnorm(src) * vec, eps = value
  kMatmul,          // dst = weight · src
  kAddBias,         // dst += vec, per row
  kRope,            // dst rotated in place (its heads: Q or K)
  kAttention,       // attn = attention(Q over this layer's cache after K, V are stored)
  kKeepOutputRows,  // keep only the rows whose logits are wanted (X and Attn)
  kAdd,             // dst += src
  kGlu,             // gate = act(gate) * up
  kSoftcap,         // dst = value * tanh(dst / value)
};

struct Step {
  Op op;
  Buf dst = Buf::kX;
  Buf src = Buf::kX;
  const TensorInfo* weight = nullptr;
  const float* vec = nullptr;  // norm weight or bias, width of dst
  float value = 0.0f;          // scale (kScale, kAttention), eps (kNorm) or cap (kSoftcap)
  int64_t layer = -1;          // kAttention
  int64_t window = 0;          // kAttention: sliding window or 0
  float softcap = 0.0f;        // kAttention: logit soft-cap or 0
  Activation activation = Activation::kSilu;  // kGlu
};

struct Program {
  std::vector<Step> steps;
  RopeParams rope;  // shared by every kRope step
};

class ProgramBuilder {
 public:
  explicit ProgramBuilder(const RopeParams& rope) { program_.rope = rope; }

  void Embed(const TensorInfo& token_embd) { Push({.op = Op::kEmbed, .dst = Buf::kX, .weight = &token_embd}); }
  void Scale(Buf dst, float s) { Push({.op = Op::kScale, .dst = dst, .value = s}); }
  void Norm(Buf src, Buf dst, const std::vector<float>& w, float eps) {
    Push({.op = Op::kNorm, .dst = dst, .src = src, .vec = w.data(), .value = eps});
  }
  void Matmul(const TensorInfo& w, Buf src, Buf dst) { Push({.op = Op::kMatmul, .dst = dst, .src = src, .weight = &w}); }
  void AddBias(Buf dst, const std::vector<float>& b) { Push({.op = Op::kAddBias, .dst = dst, .vec = b.data()}); }
  void Rope(Buf dst) { Push({.op = Op::kRope, .dst = dst}); }
  // Attention of `layer`; after the last layer's attention only the rows
  // whose logits are wanted are carried on (as llama.cpp does).
  void Attention(int64_t layer, float scale, int64_t window, float softcap, bool last_layer) {
    Push({.op = Op::kAttention, .dst = Buf::kAttn, .value = scale, .layer = layer, .window = window, .softcap = softcap});
    if (last_layer) KeepOutputRows();
  }
  void KeepOutputRows() { Push({.op = Op::kKeepOutputRows}); }
  void Add(Buf dst, Buf src) { Push({.op = Op::kAdd, .dst = dst, .src = src}); }
  void Glu(Activation act) { Push({.op = Op::kGlu, .dst = Buf::kGate, .src = Buf::kUp, .activation = act}); }
  void Softcap(Buf dst, float cap) { Push({.op = Op::kSoftcap, .dst = dst, .value = cap}); }

  Program Finish() { return std::move(program_); }

 private:
  void Push(Step s) { program_.steps.push_back(s); }
  Program program_;
};

}  // namespace bhasa::native
