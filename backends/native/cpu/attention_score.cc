#include "backends/native/cpu/attention_score.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/native/cpu/ggml_exp.h"
#include "backends/native/ggml_types.h"
#include "backends/native/quant_impl.h"

namespace bhasa::native {
namespace {

constexpr int64_t kLanes = 16, kStep = 64;  // ggml's GGML_F32_EPR and GGML_F32_STEP on AVX-512

// ggml's tiled GEMM needs the summed length to be a multiple of its lanes;
// otherwise it falls back to the dot product.
bool Tiles(int64_t n) { return n % kLanes == 0; }

}  // namespace

// Lane loops the compiler vectorises; std::fma rounds once in every build.
// Clones are picked by ISA level (CPU features): "arch=haswell" would be
// picked only on CPUs GCC identifies as the Haswell model.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) float AttentionScore(const float* q,
                                                                                                  const float* k,
                                                                                                  int64_t n) {
  float acc[4][kLanes] = {};
  int64_t i = 0;
  for (; i + kStep <= n; i += kStep)
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < kLanes; ++l) acc[c][l] = std::fma(q[i + c * kLanes + l], k[i + c * kLanes + l], acc[c][l]);
  float lanes[kLanes];
  for (int l = 0; l < kLanes; ++l) lanes[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
  // quant::ReduceLanes16's tree sum, inline: a call per score costs as much
  // as the score.
  float h8[8], h4[4];
  for (int l = 0; l < 8; ++l) h8[l] = lanes[l] + lanes[l + 8];
  for (int l = 0; l < 4; ++l) h4[l] = h8[l] + h8[l + 4];
  float sum = (h4[0] + h4[2]) + (h4[1] + h4[3]);
  for (; i < n; ++i) sum = std::fma(q[i], k[i], sum);
  return sum;
}

void AttentionSoftmax(float* s, int64_t first, int64_t n) {
  if (first >= n) return;
  const float max = *std::max_element(s + first, s + n);
  double sum = 0;
  for (int64_t block = first / kLanes * kLanes; block < n; block += kLanes) {
    float lanes[kLanes] = {};
    for (int64_t j = std::max(block, first); j < std::min(block + kLanes, n); ++j) {
      s[j] = ExpLikeGgml(s[j] - max);
      lanes[j - block] = s[j];
    }
    sum += quant::ReduceLanes16(lanes);
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t j = first; j < n; ++j) s[j] *= inv;
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) void DotOrderWeightedSum(const float* p, const float* v,
                                                                                    int64_t stride, int64_t slots,
                                                                                    int64_t first, int64_t n,
                                                                                    int64_t dim, float* o) {
  const int64_t full = PaddedKvLength(n) / kStep * kStep;  // positions the accumulators take
  thread_local std::vector<float> acc;
  acc.assign(kStep * dim, 0.0f);  // row j % 64 of accumulator lanes, one column per d
  for (int64_t j = first; j < std::min(n, full); ++j) {
    float* a = &acc[(j % kStep) * dim];
    const float* vj = v + KvRow(j, slots) * stride;
    for (int64_t d = 0; d < dim; ++d) a[d] = std::fma(p[j], vj[d], a[d]);
  }
  // Lane l of accumulator c is row 16 * c + l: (0 + 2) + (1 + 3) into rows 0..15.
  for (int64_t l = 0; l < kLanes; ++l)
    for (int64_t d = 0; d < dim; ++d)
      acc[l * dim + d] = (acc[l * dim + d] + acc[(32 + l) * dim + d]) + (acc[(16 + l) * dim + d] + acc[(48 + l) * dim + d]);
  // ReduceLanes16 per column: lane i + lane i+8, then +4, then +2, +1.
  for (int64_t step = 8; step >= 1; step /= 2)
    for (int64_t i = 0; i < step; ++i)
      for (int64_t d = 0; d < dim; ++d) acc[i * dim + d] += acc[(i + step) * dim + d];
  for (int64_t d = 0; d < dim; ++d) o[d] = acc[d];
  for (int64_t j = std::max(first, full); j < n; ++j) {
    const float* vj = v + KvRow(j, slots) * stride;
    for (int64_t d = 0; d < dim; ++d) o[d] = std::fma(p[j], vj[d], o[d]);
  }
}

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) float AttentionScoreF16(const float* q,
                                                                                                     const uint16_t* k,
                                                                                                     int64_t n,
                                                                                                     bool tiled) {
  if (tiled && Tiles(n)) {
    float lanes[kLanes] = {};
    for (int64_t i = 0; i < n; i += kLanes)
      for (int l = 0; l < kLanes; ++l) lanes[l] = std::fma(q[i + l], Fp16ToFp32(k[i + l]), lanes[l]);
    return quant::ReduceLanes16(lanes);
  }
  float acc[4][kLanes] = {};
  int64_t i = 0;
  for (; i + kStep <= n; i += kStep)
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < kLanes; ++l)
        acc[c][l] = std::fma(q[i + c * kLanes + l], Fp16ToFp32(k[i + c * kLanes + l]), acc[c][l]);
  float lanes[kLanes];
  for (int l = 0; l < kLanes; ++l) lanes[l] = (acc[0][l] + acc[2][l]) + (acc[1][l] + acc[3][l]);
  double sum = quant::ReduceLanes16(lanes);
  for (; i < n; ++i) sum += static_cast<double>(q[i] * Fp16ToFp32(k[i]));
  return static_cast<float>(sum);
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) void WeightedSumF16(const float* p, const uint16_t* v,
                                                                               int64_t stride, int64_t slots,
                                                                               int64_t first, int64_t n, int64_t dim,
                                                                               bool tiled, float* o) {
  const int64_t padded = PaddedKvLength(n);
  thread_local std::vector<float> acc, row;
  row.resize(dim);
  if (tiled && Tiles(padded)) {
    acc.assign(kLanes * dim, 0.0f);  // lane j % 16, one column per d
    for (int64_t j = first; j < n; ++j) {
      float* a = &acc[(j % kLanes) * dim];
      const uint16_t* vj = v + KvRow(j, slots) * stride;
      for (int64_t d = 0; d < dim; ++d) row[d] = Fp16ToFp32(vj[d]);
      for (int64_t d = 0; d < dim; ++d) a[d] = std::fma(p[j], row[d], a[d]);
    }
    for (int64_t step = 8; step >= 1; step /= 2)
      for (int64_t i = 0; i < step; ++i)
        for (int64_t d = 0; d < dim; ++d) acc[i * dim + d] += acc[(i + step) * dim + d];
    for (int64_t d = 0; d < dim; ++d) o[d] = acc[d];
    return;
  }
  const int64_t full = padded / kStep * kStep;
  acc.assign(kStep * dim, 0.0f);
  for (int64_t j = first; j < std::min(n, full); ++j) {
    float* a = &acc[(j % kStep) * dim];
    const uint16_t* vj = v + KvRow(j, slots) * stride;
    for (int64_t d = 0; d < dim; ++d) row[d] = Fp16ToFp32(vj[d]);
    for (int64_t d = 0; d < dim; ++d) a[d] = std::fma(p[j], row[d], a[d]);
  }
  for (int64_t l = 0; l < kLanes; ++l)
    for (int64_t d = 0; d < dim; ++d)
      acc[l * dim + d] = (acc[l * dim + d] + acc[(32 + l) * dim + d]) + (acc[(16 + l) * dim + d] + acc[(48 + l) * dim + d]);
  for (int64_t step = 8; step >= 1; step /= 2)
    for (int64_t i = 0; i < step; ++i)
      for (int64_t d = 0; d < dim; ++d) acc[i * dim + d] += acc[(i + step) * dim + d];
  for (int64_t d = 0; d < dim; ++d) {
    double sum = acc[d];
    for (int64_t j = std::max(first, full); j < n; ++j)
      sum += static_cast<double>(p[j] * Fp16ToFp32(v[KvRow(j, slots) * stride + d]));
    o[d] = static_cast<float>(sum);
  }
}

}  // namespace bhasa::native
