// Kernels: the table of operations the forward pass is built from, one table
// per device. RefKernels() is the plain scalar twin every fast table is tested
// against; CpuKernels() is the threaded SIMD table (oneTBB + Highway with
// runtime dispatch). A CUDA table fills the same struct.
//
// Conventions: activations are row-major float32, one row per token.
// Weight matrices are TensorInfo views (rows = output features, cols = input
// features, any GgmlType ggml_types.h supports); rows are always read through
// TensorInfo::Row so HF q/k head permutation is honoured.
//
// Numerics follow ggml's CPU backend: before a weight matmul the activation
// row is converted to VecDotType(weight type) (f16/bf16 rounding, Q8_0 or Q8_K
// quantization) and the dot product is VecDot, or VecDotBatched when the
// matmul has two or more activation rows (ggml's tiled GEMM then sums BF16 in
// its own order), except that a Q4_0 matrix with a multiple of 8 rows is
// summed as ggml's repacked kernels do (VecDotQ4_0x8, UsesInterleavedQ4_0); RMSNorm sums f32 squares in double; the softmax op sums
// exponentials in double; RoPE angles use the cumulative float product of
// ggml's rope cache and each rotated output fuses one product as ggml's
// FMA-contracted build does (cpu/rope_cache.h); GELU is ggml's f16 lookup table; attention's scores,
// softmax and weighted sums of V add in the order of ggml's AVX-512 build,
// the same on every machine (cpu/attention_score.h).
//
// Thread-safety: every entry is reentrant. Threaded entries run their
// parallel loops in the calling thread's current tbb::task_arena, so the
// caller controls the thread count. Failure: entries throw bhasa::Error on an
// unsupported weight type; sizes are trusted (the caller checks shapes once
// when the model loads).
#pragma once

#include <cstdint>

#include "backends/native/model_file.h"

namespace bhasa::native {

struct RopeParams {
  int64_t rope_dim = 0;                  // rotated dims per head (<= head_dim, even)
  float freq_base = 10000.0f;
  const float* freq_factors = nullptr;   // rope_dim/2 divisors (llama3 scaling), or null
  bool neox = false;                     // rotate halves instead of adjacent pairs
};

// Cache layout of one layer: position p's K (or V) row starts at
// data + KvRow(p, slots) * stride elements; elements are f32 or f16
// (uint16_t bits). A sliding-window layer's cache may be a ring of `slots`
// rows holding only the latest positions (kv_cache.h); a query must see
// only positions the ring still holds.
struct KvLayerView {
  const void* k = nullptr;
  const void* v = nullptr;
  bool f16 = false;
  int64_t stride = 0;  // elements per position (n_head_kv * head_dim)
  int64_t slots = 0;   // > 0: a ring of this many rows; 0: row p is position p
};

// The row of cache position `pos` in a layer of `slots` ring rows (0: no ring).
inline int64_t KvRow(int64_t pos, int64_t slots) { return slots > 0 ? pos % slots : pos; }

struct AttentionArgs {
  const float* q = nullptr;   // n_tokens rows of n_head * head_dim (RoPE applied)
  int64_t n_tokens = 0;
  const int32_t* pos = nullptr;  // per q row: attends to cache positions 0..pos[t]
  KvLayerView kv;
  int64_t n_head = 0, n_head_kv = 0, head_dim = 0;
  float scale = 1.0f;         // usually 1/sqrt(head_dim); 1 when q was pre-scaled
  float* out = nullptr;       // n_tokens rows of n_head * head_dim
  // > 0: a query at position p sees only keys at p - window + 1 .. p (a
  // sliding-window layer); 0: every earlier position.
  int64_t window = 0;
  // > 0: each score s becomes softcap * tanh(s / softcap) before the scale
  // and the softmax (Gemma 2's attention logit soft-capping); 0: none.
  float softcap = 0.0f;
};

// First cache position a query at position `pos` attends to.
inline int64_t FirstVisible(const AttentionArgs& a, int32_t pos) {
  return a.window > 0 && pos >= a.window ? pos - a.window + 1 : 0;
}

struct Kernels {
  const char* name;
  // out[t * rows + r] = W.Row(r) · x[t * cols ..], t < n_tokens.
  void (*matmul)(const TensorInfo& w, const float* x, int64_t n_tokens, float* out);
  // out = x / sqrt(mean(x^2) + eps) * weight; out may alias x.
  void (*rmsnorm)(const float* x, const float* weight, int64_t n, float eps, float* out);
  // In place on n_tokens rows of n_heads * head_dim, row t at position pos[t].
  void (*rope)(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* pos,
               const RopeParams& p);
  // In place, numerically stable; n == 0 is a no-op.
  void (*softmax)(float* x, int64_t n);
  // Causal GQA attention: query head h uses KV head h / (n_head / n_head_kv),
  // within the window and soft-cap the args give.
  void (*attention)(const AttentionArgs& a);
  // out = silu(gate) * up; out may alias gate or up.
  void (*swiglu)(const float* gate, const float* up, int64_t n, float* out);
  // out = gelu(gate) * up with ggml's tanh GELU (looked up through an f16
  // table, as ggml's CPU backend does); out may alias gate or up.
  void (*geglu)(const float* gate, const float* up, int64_t n, float* out);
  // x *= s.
  void (*scale)(float* x, int64_t n, float s);
  // x = cap * tanh(x / cap) (logit soft-capping).
  void (*softcap)(float* x, int64_t n, float cap);
  // acc += x.
  void (*add)(float* acc, const float* x, int64_t n);
  // out[i * cols ..] = dequantized row ids[i] of w. Throws Error for an id
  // outside [0, rows).
  void (*get_rows)(const TensorInfo& w, const int32_t* ids, int64_t n, float* out);
};

const Kernels& RefKernels();
const Kernels& CpuKernels();

}  // namespace bhasa::native
