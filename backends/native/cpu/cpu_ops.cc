// The fast CPU kernel table: weight matmuls (cpu_matmul.h) and attention are
// spread over the current tbb::task_arena; inner loops use the Highway
// primitives in simd_ops.h. Elementwise ops share the reference loops'
// numerics; over a batch they are split across the arena.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "backends/native/cpu/attention_score.h"
#include "backends/native/cpu/cpu_matmul.h"
#include "backends/native/cpu/ggml_exp.h"
#include "backends/native/cpu/rope_cache.h"
#include "backends/native/cpu/simd_ops.h"
#include "backends/native/kernels.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

void CpuRmsnorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);  // f32 square, as ggml
  const float mean = n > 0 ? static_cast<float>(sum / n) : 0.0f;
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = (x[i] * scale) * weight[i];
}

void CpuRope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* pos,
             const RopeParams& p) {
  tbb::parallel_for(int64_t{0}, n_tokens, [&](int64_t t) {
    thread_local std::vector<float> cs;
    RopeCache(pos[t], p, cs);
    for (int64_t h = 0; h < n_heads; ++h) RotateHead(x + (t * n_heads + h) * head_dim, cs.data(), p);
  });
}

void CpuSoftmax(float* x, int64_t n) {
  if (n <= 0) return;
  float max = -INFINITY;
  for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
  const float inv = static_cast<float>(1.0 / simd::ExpSubSum(x, n, max));
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

// o = sum_j p[j] * v[j * stride ..], summed as ggml's tiled GEMM does for a
// prompt: position j feeds fused-multiply-add lane j % 16, then the lanes'
// tree sum (RefKernels spells out the same order one element at a time).
// Positions before `first` (masked, probability 0) add nothing and are
// skipped. Vectorised across the head dimension; both builds round
// identically.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void TiledWeightedSum(const float* p, const float* v,
                                                                                 int64_t stride, int64_t slots,
                                                                                 int64_t first, int64_t n,
                                                                                 int64_t dim, float* o) {
  thread_local std::vector<float> lanes;
  lanes.assign(16 * dim, 0.0f);
  for (int64_t j = first; j < n; ++j) {
    float* acc = &lanes[(j % 16) * dim];
    const float* vj = v + KvRow(j, slots) * stride;
    for (int64_t d = 0; d < dim; ++d) acc[d] = std::fma(p[j], vj[d], acc[d]);
  }
  // ReduceLanes16 per column: lane i + lane i+8, then +4, then +2, +1.
  for (int step = 8; step >= 1; step /= 2)
    for (int i = 0; i < step; ++i)
      for (int64_t d = 0; d < dim; ++d) lanes[i * dim + d] += lanes[(i + step) * dim + d];
  for (int64_t d = 0; d < dim; ++d) o[d] = lanes[d];
}

// Soft-caps and scales raw K·Q scores in place.
void FinishScores(const AttentionArgs& a, float* s, int64_t n) {
  if (a.softcap > 0)
    for (int64_t j = 0; j < n; ++j) s[j] = SoftcapOne(s[j], a.softcap);
  for (int64_t j = 0; j < n; ++j) s[j] *= a.scale;
}

// One (token, query head) pair: scores over the visible cache positions
// [first, n_kv), softmax, then the probability-weighted sum of V rows.
void AttendOne(const AttentionArgs& a, int64_t t, int64_t h, std::vector<float>& scores, std::vector<float>& q) {
  const int64_t group = a.n_head / a.n_head_kv, q_dim = a.n_head * a.head_dim;
  const int64_t kv_off = (h / group) * a.head_dim, n_kv = static_cast<int64_t>(a.pos[t]) + 1;
  const int64_t first = FirstVisible(a, a.pos[t]);
  const float* qh = a.q + t * q_dim + h * a.head_dim;
  float* o = a.out + t * q_dim + h * a.head_dim;
  scores.resize(n_kv);
  std::fill(o, o + a.head_dim, 0.0f);
  if (a.kv.f16) {
    const auto* k = static_cast<const uint16_t*>(a.kv.k);
    const auto* v = static_cast<const uint16_t*>(a.kv.v);
    q.resize(a.head_dim);
    for (int64_t d = 0; d < a.head_dim; ++d) q[d] = Fp16ToFp32(Fp32ToFp16(qh[d]));
    const bool tiled = a.n_tokens >= 2;
    for (int64_t j = first; j < n_kv; ++j)
      scores[j] = AttentionScoreF16(q.data(), k + KvRow(j, a.kv.slots) * a.kv.stride + kv_off, a.head_dim, tiled);
    FinishScores(a, scores.data() + first, n_kv - first);
    AttentionSoftmax(scores.data(), first, n_kv);
    for (int64_t j = first; j < n_kv; ++j) scores[j] = Fp16ToFp32(Fp32ToFp16(scores[j]));
    WeightedSumF16(scores.data(), v + kv_off, a.kv.stride, a.kv.slots, first, n_kv, a.head_dim, tiled, o);
  } else {
    const auto* k = static_cast<const float*>(a.kv.k);
    const auto* v = static_cast<const float*>(a.kv.v);
    for (int64_t j = first; j < n_kv; ++j)
      scores[j] = AttentionScore(qh, k + KvRow(j, a.kv.slots) * a.kv.stride + kv_off, a.head_dim);
    FinishScores(a, scores.data() + first, n_kv - first);
    AttentionSoftmax(scores.data(), first, n_kv);
    // ggml multiplies V by several query rows in its tiled GEMM, by one
    // with its dot product.
    if (a.n_tokens >= 2) {
      TiledWeightedSum(scores.data(), v + kv_off, a.kv.stride, a.kv.slots, first, n_kv, a.head_dim, o);
    } else {
      DotOrderWeightedSum(scores.data(), v + kv_off, a.kv.stride, a.kv.slots, first, n_kv, a.head_dim, o);
    }
  }
}

void CpuAttention(const AttentionArgs& a) {
  tbb::parallel_for(int64_t{0}, a.n_tokens * a.n_head, [&](int64_t i) {
    thread_local std::vector<float> scores, q;
    AttendOne(a, i / a.n_head, i % a.n_head, scores, q);
  });
}

// Elementwise ops over a whole batch are split into chunks of this many
// elements across the arena; a single row runs inline.
constexpr int64_t kElemGrain = int64_t{1} << 14;

template <class F>
void ForChunks(int64_t n, F&& f) {
  if (n <= kElemGrain) return f(int64_t{0}, n);
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, kElemGrain),
                    [&](const tbb::blocked_range<int64_t>& r) { f(r.begin(), r.end()); });
}

void CpuSwiglu(const float* gate, const float* up, int64_t n, float* out) {
  ForChunks(n, [&](int64_t b, int64_t e) { simd::Swiglu(gate + b, up + b, e - b, out + b); });
}

void CpuGeglu(const float* gate, const float* up, int64_t n, float* out) {
  ForChunks(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = GeluLikeGgml(gate[i]) * up[i];
  });
}

void CpuScale(float* x, int64_t n, float s) {
  ForChunks(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) x[i] *= s;
  });
}

void CpuSoftcap(float* x, int64_t n, float cap) {
  ForChunks(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) x[i] = SoftcapOne(x[i], cap);
  });
}

void CpuAdd(float* acc, const float* x, int64_t n) {
  ForChunks(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) acc[i] += x[i];
  });
}

void CpuGetRows(const TensorInfo& w, const int32_t* ids, int64_t n, float* out) {
  const int64_t cols = w.cols();
  for (int64_t i = 0; i < n; ++i)
    if (ids[i] < 0 || ids[i] >= w.rows())
      throw Error("token id " + std::to_string(ids[i]) + " outside " + w.name + " rows [0, " +
                  std::to_string(w.rows()) + ")");
  tbb::parallel_for(int64_t{0}, n, [&](int64_t i) { w.DequantizeRowTo(ids[i], out + i * cols); });
}

}  // namespace

const Kernels& CpuKernels() {
  static const Kernels k{"cpu",     CpuMatmul, CpuRmsnorm, CpuRope,    CpuSoftmax, CpuAttention,
                         CpuSwiglu, CpuGeglu,  CpuScale,   CpuSoftcap, CpuAdd,     CpuGetRows};
  return k;
}

}  // namespace bhasa::native
