// The plain scalar kernel table: one loop per op, no threads, no SIMD. It is
// the oracle the fast tables are tested against, so clarity beats speed here.
#include <cmath>
#include <string>
#include <vector>

#include "backends/native/cpu/attention_score.h"
#include "backends/native/cpu/ggml_exp.h"
#include "backends/native/cpu/rope_cache.h"
#include "backends/native/kernels.h"
#include "backends/native/quant_impl.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

void RefMatmul(const TensorInfo& w, const float* x, int64_t n_tokens, float* out) {
  const int64_t rows = w.rows(), cols = w.cols();
  const size_t act_bytes = RowBytes(VecDotType(w.type), cols);
  std::vector<uint8_t> act(act_bytes);
  const bool interleaved = UsesInterleavedQ4_0(w.type, rows);
  const auto dot = n_tokens >= 2 ? VecDotBatchedRef : VecDotRef;
  for (int64_t t = 0; t < n_tokens; ++t) {
    QuantizeActivation(w.type, x + t * cols, act.data(), cols);
    for (int64_t r = 0; r < rows; ++r)
      out[t * rows + r] = interleaved ? VecDotQ4_0x8(w.Row(r), act.data(), cols)
                                      : dot(w.type, w.Row(r), act.data(), cols);
  }
}

void RefRmsnorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);  // f32 square, as ggml
  const float mean = n > 0 ? static_cast<float>(sum / n) : 0.0f;
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = (x[i] * scale) * weight[i];
}

void RefRope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* pos,
             const RopeParams& p) {
  std::vector<float> cs;
  for (int64_t t = 0; t < n_tokens; ++t) {
    RopeCache(pos[t], p, cs);
    for (int64_t h = 0; h < n_heads; ++h) RotateHead(x + (t * n_heads + h) * head_dim, cs.data(), p);
  }
}

void RefSoftmax(float* x, int64_t n) {
  if (n <= 0) return;
  float max = -INFINITY;
  for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = ExpLikeGgml(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

float KvAt(const void* base, bool f16, int64_t index) {
  return f16 ? Fp16ToFp32(static_cast<const uint16_t*>(base)[index]) : static_cast<const float*>(base)[index];
}

void RefAttention(const AttentionArgs& a) {
  const int64_t group = a.n_head / a.n_head_kv, q_dim = a.n_head * a.head_dim;
  std::vector<float> q(a.head_dim), scores;
  for (int64_t t = 0; t < a.n_tokens; ++t) {
    // Positions before `first` are masked: ggml gives them probability 0,
    // which adds nothing to any sum, so they are skipped outright.
    const int64_t n_kv = static_cast<int64_t>(a.pos[t]) + 1, first = FirstVisible(a, a.pos[t]);
    scores.assign(n_kv, 0.0f);
    for (int64_t h = 0; h < a.n_head; ++h) {
      const int64_t kvh = h / group;
      // An f16 cache makes ggml round q (and later the probabilities) to f16.
      for (int64_t d = 0; d < a.head_dim; ++d) {
        const float v = a.q[t * q_dim + h * a.head_dim + d];
        q[d] = a.kv.f16 ? Fp16ToFp32(Fp32ToFp16(v)) : v;
      }
      for (int64_t j = first; j < n_kv; ++j) {
        const int64_t row = KvRow(j, a.kv.slots) * a.kv.stride;  // a ring holds position j in row j % slots
        float s = 0;
        if (a.kv.f16) {
          s = AttentionScoreF16(q.data(), static_cast<const uint16_t*>(a.kv.k) + row + kvh * a.head_dim, a.head_dim,
                                a.n_tokens >= 2);
        } else {
          s = AttentionScore(q.data(), static_cast<const float*>(a.kv.k) + row + kvh * a.head_dim, a.head_dim);
        }
        if (a.softcap > 0) s = SoftcapOne(s, a.softcap);
        scores[j] = s * a.scale;
      }
      AttentionSoftmax(scores.data(), first, n_kv);
      if (a.kv.f16)
        for (auto& s : scores) s = Fp16ToFp32(Fp32ToFp16(s));
      // probabilities · V. ggml runs this through its tiled GEMM for several
      // query rows (16 fused-multiply-add lanes, position j feeding lane
      // j % 16, then the lanes' tree sum) and through its dot product for one
      // (attention_score.h).
      float* o = a.out + t * q_dim + h * a.head_dim;
      const bool tiled = a.n_tokens >= 2;
      for (int64_t d = 0; d < a.head_dim; ++d) {
        const int64_t off = kvh * a.head_dim + d;
        if (a.kv.f16) {
          WeightedSumF16(scores.data(), static_cast<const uint16_t*>(a.kv.v) + off, a.kv.stride, a.kv.slots, first,
                         n_kv, 1, tiled, &o[d]);
        } else if (!tiled) {
          DotOrderWeightedSum(scores.data(), static_cast<const float*>(a.kv.v) + off, a.kv.stride, a.kv.slots, first,
                              n_kv, 1, &o[d]);
        } else {
          float lanes[16] = {};
          for (int64_t j = first; j < n_kv; ++j)
            lanes[j % 16] =
                std::fma(scores[j], KvAt(a.kv.v, false, KvRow(j, a.kv.slots) * a.kv.stride + off), lanes[j % 16]);
          o[d] = quant::ReduceLanes16(lanes);
        }
      }
    }
  }
}

void RefSwiglu(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    out[i] = SiluLikeGgml(gate[i]) * up[i];
  }
}

void RefGeglu(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = GeluLikeGgml(gate[i]) * up[i];
}

void RefScale(float* x, int64_t n, float s) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

void RefSoftcap(float* x, int64_t n, float cap) {
  for (int64_t i = 0; i < n; ++i) x[i] = SoftcapOne(x[i], cap);
}

void RefAdd(float* acc, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += x[i];
}

void RefGetRows(const TensorInfo& w, const int32_t* ids, int64_t n, float* out) {
  const int64_t cols = w.cols();
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= w.rows())
      throw Error("token id " + std::to_string(ids[i]) + " outside " + w.name + " rows [0, " +
                  std::to_string(w.rows()) + ")");
    w.DequantizeRowTo(ids[i], out + i * cols);
  }
}

}  // namespace

const Kernels& RefKernels() {
  static const Kernels k{"ref",     RefMatmul, RefRmsnorm, RefRope,    RefSoftmax, RefAttention,
                         RefSwiglu, RefGeglu,  RefScale,   RefSoftcap, RefAdd,     RefGetRows};
  return k;
}

}  // namespace bhasa::native
