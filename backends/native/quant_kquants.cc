// K-quants (super-blocks of 256): Q2_K..Q6_K and the Q8_K activation type.
// Dequantization repeats ggml's float expressions in the same order so the
// results are bit-identical; the quantizers are simple deterministic
// min/max fits (not llama-quantize's search) packed in ggml's layouts.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "backends/native/quant_blocks.h"
#include "backends/native/quant_impl.h"

namespace bhasa::native::quant {
namespace {

// ---- dequantization -------------------------------------------------------

void DequantQ2_K(const void* src, float* y, int64_t n) {
  const BlockQ2_K* b = static_cast<const BlockQ2_K*>(src);
  int8_t q[kQK_K];
  for (int64_t i = 0; i < n / kQK_K; ++i, y += kQK_K) {
    const float d = Fp16ToFp32(b[i].d), min = Fp16ToFp32(b[i].dmin);
    UnpackQ2K(b[i], q);
    for (int j = 0; j < kQK_K / 16; ++j) {
      const uint8_t sc = b[i].scales[j];
      const float dl = d * (sc & 0xF), ml = min * (sc >> 4);
      for (int l = 0; l < 16; ++l) y[16 * j + l] = dl * q[16 * j + l] - ml;
    }
  }
}

void DequantQ3_K(const void* src, float* y, int64_t n) {
  const BlockQ3_K* b = static_cast<const BlockQ3_K*>(src);
  int8_t q[kQK_K], sc[16];
  for (int64_t i = 0; i < n / kQK_K; ++i, y += kQK_K) {
    const float d_all = Fp16ToFp32(b[i].d);
    UnpackQ3K(b[i], q);
    UnpackQ3KScales(b[i].scales, sc);
    for (int j = 0; j < kQK_K / 16; ++j) {
      const float dl = d_all * sc[j];
      for (int l = 0; l < 16; ++l) y[16 * j + l] = dl * q[16 * j + l];
    }
  }
}

template <typename Block, void (*Unpack)(const Block&, int8_t*)>
void DequantQ45_K(const void* src, float* y, int64_t n) {
  const Block* b = static_cast<const Block*>(src);
  int8_t q[kQK_K];
  for (int64_t i = 0; i < n / kQK_K; ++i, y += kQK_K) {
    const float d = Fp16ToFp32(b[i].d), min = Fp16ToFp32(b[i].dmin);
    Unpack(b[i], q);
    for (int j = 0; j < kQK_K / 32; ++j) {
      uint8_t sc, m;
      ScaleMinK4(j, b[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = min * m;
      for (int l = 0; l < 32; ++l) y[32 * j + l] = d1 * q[32 * j + l] - m1;
    }
  }
}

void DequantQ6_K(const void* src, float* y, int64_t n) {
  const BlockQ6_K* b = static_cast<const BlockQ6_K*>(src);
  int8_t q[kQK_K];
  for (int64_t i = 0; i < n / kQK_K; ++i, y += kQK_K) {
    const float d = Fp16ToFp32(b[i].d);
    UnpackQ6K(b[i], q);
    for (int e = 0; e < kQK_K; ++e) y[e] = d * b[i].scales[e / 16] * q[e];
  }
}

void DequantQ8_K(const void* src, float* y, int64_t n) {
  const BlockQ8_K* b = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i)
    for (int j = 0; j < kQK_K; ++j) y[i * kQK_K + j] = b[i].d * b[i].qs[j];
}

// ---- quantization ---------------------------------------------------------

// Affine fit of a sub-block: x ≈ scale * q - min with q in 0..nmax, min >= 0.
void FitAffine(const float* x, int n, int nmax, float* scale, float* min) {
  float lo = 0, hi = x[0];
  for (int i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  *scale = hi > lo ? (hi - lo) / nmax : 0.0f;
  *min = -lo;
}

// Symmetric fit: scale chosen so the largest-magnitude value maps to -nmax.
float FitSymmetric(const float* x, int n, int nmax) {
  float amax = 0, max = 0;
  for (int i = 0; i < n; ++i)
    if (amax < std::fabs(x[i])) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  return amax > 0 ? max / -nmax : 0.0f;
}

int Clamp(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

void QuantQ2_K(const float* x, void* dst, int64_t n) {
  BlockQ2_K* b = static_cast<BlockQ2_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    float scales[16], mins[16], max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; ++j) {
      FitAffine(x + 16 * j, 16, 3, &scales[j], &mins[j]);
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    const float d = max_scale / 15, dmin = max_min / 15;
    b[i].d = Fp32ToFp16(d);
    b[i].dmin = Fp32ToFp16(dmin);
    const float dq = Fp16ToFp32(b[i].d), mq = Fp16ToFp32(b[i].dmin);
    uint8_t L[kQK_K];
    for (int j = 0; j < 16; ++j) {
      const int ls = dq > 0 ? Clamp(NearestInt(scales[j] / dq), 0, 15) : 0;
      const int lm = mq > 0 ? Clamp(NearestInt(mins[j] / mq), 0, 15) : 0;
      b[i].scales[j] = static_cast<uint8_t>(ls | (lm << 4));
      const float dd = dq * ls, dm = mq * lm;
      for (int l = 0; l < 16; ++l)
        L[16 * j + l] = dd ? static_cast<uint8_t>(Clamp(NearestInt((x[16 * j + l] + dm) / dd), 0, 3)) : 0;
    }
    for (int j = 0; j < kQK_K; j += 128)
      for (int l = 0; l < 32; ++l)
        b[i].qs[j / 4 + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6);
  }
}

void QuantQ3_K(const float* x, void* dst, int64_t n) {
  BlockQ3_K* b = static_cast<BlockQ3_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    float scales[16], max_scale = 0, amax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = FitSymmetric(x + 16 * j, 16, 4);
      if (std::fabs(scales[j]) > amax) {
        amax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    std::memset(b[i].scales, 0, 12);
    if (max_scale) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) {
        int l = Clamp(NearestInt(iscale * scales[j]), -32, 31) + 32;
        if (j < 8) b[i].scales[j] = l & 0xF;
        else b[i].scales[j - 8] |= ((l & 0xF) << 4);
        l >>= 4;
        b[i].scales[j % 4 + 8] |= (l << (2 * (j / 4)));
      }
      b[i].d = Fp32ToFp16(1 / iscale);
    } else {
      b[i].d = Fp32ToFp16(0.0f);
    }
    int8_t sc[16];
    UnpackQ3KScales(b[i].scales, sc);
    uint8_t L[kQK_K];
    for (int j = 0; j < 16; ++j) {
      const float d = Fp16ToFp32(b[i].d) * sc[j];
      for (int l = 0; l < 16; ++l)
        L[16 * j + l] = static_cast<uint8_t>((d ? Clamp(NearestInt(x[16 * j + l] / d), -4, 3) : 0) + 4);
    }
    std::memset(b[i].hmask, 0, sizeof(b[i].hmask));
    for (int e = 0; e < kQK_K; ++e) {
      if (L[e] > 3) {
        b[i].hmask[e % 32] |= static_cast<uint8_t>(1u << (e / 32));
        L[e] -= 4;
      }
    }
    for (int j = 0; j < kQK_K; j += 128)
      for (int l = 0; l < 32; ++l)
        b[i].qs[j / 4 + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6);
  }
}

// Shared by Q4_K and Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins.
// Returns the quantized values (0..nmax) in L.
template <typename Block>
void QuantScalesQ45(const float* x, int nmax, Block* b, uint8_t L[kQK_K]) {
  float scales[8], mins[8], max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    FitAffine(x + 32 * j, 32, nmax, &scales[j], &mins[j]);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  std::memset(b->scales, 0, kKScaleBytes);
  for (int j = 0; j < 8; ++j) {
    const uint8_t ls = static_cast<uint8_t>(std::min(63, NearestInt(inv_scale * scales[j])));
    const uint8_t lm = static_cast<uint8_t>(std::min(63, NearestInt(inv_min * mins[j])));
    if (j < 4) {
      b->scales[j] = ls;
      b->scales[j + 4] = lm;
    } else {
      b->scales[j + 4] = (ls & 0xF) | ((lm & 0xF) << 4);
      b->scales[j - 4] |= ((ls >> 4) << 6);
      b->scales[j - 0] |= ((lm >> 4) << 6);
    }
  }
  b->d = Fp32ToFp16(max_scale / 63.f);
  b->dmin = Fp32ToFp16(max_min / 63.f);
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    ScaleMinK4(j, b->scales, &sc, &m);
    const float d = Fp16ToFp32(b->d) * sc, dm = Fp16ToFp32(b->dmin) * m;
    for (int l = 0; l < 32; ++l)
      L[32 * j + l] = d ? static_cast<uint8_t>(Clamp(NearestInt((x[32 * j + l] + dm) / d), 0, nmax)) : 0;
  }
}

void QuantQ4_K(const float* x, void* dst, int64_t n) {
  BlockQ4_K* b = static_cast<BlockQ4_K*>(dst);
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    QuantScalesQ45(x, 15, &b[i], L);
    for (int j = 0; j < kQK_K; j += 64)
      for (int l = 0; l < 32; ++l) b[i].qs[j / 2 + l] = L[j + l] | (L[j + l + 32] << 4);
  }
}

void QuantQ5_K(const float* x, void* dst, int64_t n) {
  BlockQ5_K* b = static_cast<BlockQ5_K*>(dst);
  uint8_t L[kQK_K];
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    QuantScalesQ45(x, 31, &b[i], L);
    std::memset(b[i].qh, 0, sizeof(b[i].qh));
    uint8_t m1 = 1, m2 = 2;
    for (int j = 0; j < kQK_K; j += 64) {
      for (int l = 0; l < 32; ++l) {
        int l1 = L[j + l], l2 = L[j + l + 32];
        if (l1 > 15) { l1 -= 16; b[i].qh[l] |= m1; }
        if (l2 > 15) { l2 -= 16; b[i].qh[l] |= m2; }
        b[i].qs[j / 2 + l] = static_cast<uint8_t>(l1 | (l2 << 4));
      }
      m1 <<= 2;
      m2 <<= 2;
    }
  }
}

void QuantQ6_K(const float* x, void* dst, int64_t n) {
  BlockQ6_K* b = static_cast<BlockQ6_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    float scales[16], max_scale = 0, amax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = FitSymmetric(x + 16 * j, 16, 32);
      if (std::fabs(scales[j]) > amax) {
        amax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    uint8_t L[kQK_K] = {};
    if (!amax) {
      std::memset(&b[i], 0, sizeof(BlockQ6_K));
      std::memset(L, 32, sizeof(L));
    } else {
      const float iscale = -128.f / max_scale;
      b[i].d = Fp32ToFp16(1 / iscale);
      for (int j = 0; j < 16; ++j)
        b[i].scales[j] = static_cast<int8_t>(std::min(127, NearestInt(iscale * scales[j])));
      for (int j = 0; j < 16; ++j) {
        const float d = Fp16ToFp32(b[i].d) * b[i].scales[j];
        for (int l = 0; l < 16; ++l)
          L[16 * j + l] = static_cast<uint8_t>((d ? Clamp(NearestInt(x[16 * j + l] / d), -32, 31) : 0) + 32);
      }
    }
    uint8_t* ql = b[i].ql;
    uint8_t* qh = b[i].qh;
    for (int j = 0; j < kQK_K; j += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF;
        const uint8_t q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
        ql[l] = q1 | (q3 << 4);
        ql[l + 32] = q2 | (q4 << 4);
        qh[l] = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                ((L[j + l + 96] >> 4) << 6);
      }
    }
  }
}

// ---- scalar reference dots against Q8_K -----------------------------------

int DotI8(const int8_t* a, const int8_t* b, int n) {
  int s = 0;
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

float DotQ2_K(const void* w, const void* a, int64_t n) {
  const BlockQ2_K* x = static_cast<const BlockQ2_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  int8_t q[kQK_K];
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    UnpackQ2K(x[i], q);
    int isum = 0, summs = 0;
    for (int j = 0; j < 16; ++j) {
      isum += (x[i].scales[j] & 0xF) * DotI8(q + 16 * j, y[i].qs + 16 * j, 16);
      summs += y[i].bsums[j] * (x[i].scales[j] >> 4);
    }
    const float dall = y[i].d * Fp16ToFp32(x[i].d), dmin = y[i].d * Fp16ToFp32(x[i].dmin);
    sum += dall * isum - dmin * summs;
  }
  return sum;
}

float DotQ3_K(const void* w, const void* a, int64_t n) {
  const BlockQ3_K* x = static_cast<const BlockQ3_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  int8_t q[kQK_K], sc[16];
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    UnpackQ3K(x[i], q);
    UnpackQ3KScales(x[i].scales, sc);
    int isum = 0;
    for (int j = 0; j < 16; ++j) isum += sc[j] * DotI8(q + 16 * j, y[i].qs + 16 * j, 16);
    sum += Fp16ToFp32(x[i].d) * y[i].d * isum;
  }
  return sum;
}

template <typename Block, void (*Unpack)(const Block&, int8_t*)>
float DotQ45_K(const void* w, const void* a, int64_t n) {
  const Block* x = static_cast<const Block*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  int8_t q[kQK_K];
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    Unpack(x[i], q);
    int isum = 0, summs = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      ScaleMinK4(j, x[i].scales, &sc, &m);
      isum += sc * DotI8(q + 32 * j, y[i].qs + 32 * j, 32);
      summs += m * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    }
    const float d = Fp16ToFp32(x[i].d) * y[i].d, dmin = Fp16ToFp32(x[i].dmin) * y[i].d;
    sum += d * isum - dmin * summs;
  }
  return sum;
}

float DotQ6_K(const void* w, const void* a, int64_t n) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  int8_t q[kQK_K];
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    UnpackQ6K(x[i], q);
    int isum = 0;
    for (int j = 0; j < 16; ++j) isum += x[i].scales[j] * DotI8(q + 16 * j, y[i].qs + 16 * j, 16);
    sum += Fp16ToFp32(x[i].d) * y[i].d * isum;
  }
  return sum;
}

constexpr QuantOps kQ2_K{DequantQ2_K, QuantQ2_K, DotQ2_K};
constexpr QuantOps kQ3_K{DequantQ3_K, QuantQ3_K, DotQ3_K};
constexpr QuantOps kQ4_K{DequantQ45_K<BlockQ4_K, UnpackQ4K>, QuantQ4_K, DotQ45_K<BlockQ4_K, UnpackQ4K>};
constexpr QuantOps kQ5_K{DequantQ45_K<BlockQ5_K, UnpackQ5K>, QuantQ5_K, DotQ45_K<BlockQ5_K, UnpackQ5K>};
constexpr QuantOps kQ6_K{DequantQ6_K, QuantQ6_K, DotQ6_K};
constexpr QuantOps kQ8_K{DequantQ8_K, QuantizeQ8_K, nullptr};

}  // namespace

// ggml's quantize_row_q8_K_ref, which its x86 CPU backend uses as is.
void QuantizeQ8_K(const float* x, void* dst, int64_t n) {
  BlockQ8_K* y = static_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    float max = 0, amax = 0;
    for (int j = 0; j < kQK_K; ++j) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (!amax) {
      y[i].d = 0;
      std::memset(y[i].qs, 0, kQK_K);
    } else {
      // ggml maps the value of largest magnitude to -127 (quantize_row_q8_K_ref).
      const float iscale = -127.f / max;
      for (int j = 0; j < kQK_K; ++j) {
        const int v = NearestInt(iscale * x[j]);
        y[i].qs[j] = static_cast<int8_t>(std::min(127, v));
      }
      y[i].d = 1 / iscale;
    }
    for (int j = 0; j < kQK_K / 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += y[i].qs[j * 16 + l];
      y[i].bsums[j] = static_cast<int16_t>(sum);
    }
  }
}

const QuantOps* KQuantOps(GgmlType t) {
  switch (t) {
    case GgmlType::Q2_K: return &kQ2_K;
    case GgmlType::Q3_K: return &kQ3_K;
    case GgmlType::Q4_K: return &kQ4_K;
    case GgmlType::Q5_K: return &kQ5_K;
    case GgmlType::Q6_K: return &kQ6_K;
    case GgmlType::Q8_K: return &kQ8_K;
    default: return nullptr;
  }
}

}  // namespace bhasa::native::quant
