// Q4_0, Q5_0 and Q8_0 (blocks of 32 with one fp16 scale): ggml's block
// layouts, its reference quantizers, and the scalar dot against Q8_0.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "backends/native/quant_blocks.h"
#include "backends/native/quant_impl.h"

namespace bhasa::native::quant {
namespace {

// Signed value with the largest magnitude (first one on ties), and its |.|.
void SignedMax(const float* x, int n, float* amax_out, float* max_out) {
  float amax = 0, max = 0;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  *amax_out = amax;
  *max_out = max;
}

void DequantQ4_0(const void* src, float* y, int64_t n) {
  const BlockQ4_0* b = static_cast<const BlockQ4_0*>(src);
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    const float d = Fp16ToFp32(b[i].d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      const int x0 = (b[i].qs[j] & 0x0F) - 8;
      const int x1 = (b[i].qs[j] >> 4) - 8;
      y[i * kQK4_0 + j] = x0 * d;
      y[i * kQK4_0 + j + kQK4_0 / 2] = x1 * d;
    }
  }
}
void QuantQ4_0(const float* x, void* dst, int64_t n) {
  BlockQ4_0* b = static_cast<BlockQ4_0*>(dst);
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    const float* xb = x + i * kQK4_0;
    float amax, max;
    SignedMax(xb, kQK4_0, &amax, &max);
    const float d = max / -8;
    const float id = d ? 1.0f / d : 0.0f;
    b[i].d = Fp32ToFp16(d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      const float x0 = xb[j] * id, x1 = xb[kQK4_0 / 2 + j] * id;
      const uint8_t xi0 = static_cast<uint8_t>(std::min(15, static_cast<int>(static_cast<int8_t>(x0 + 8.5f))));
      const uint8_t xi1 = static_cast<uint8_t>(std::min(15, static_cast<int>(static_cast<int8_t>(x1 + 8.5f))));
      b[i].qs[j] = xi0 | static_cast<uint8_t>(xi1 << 4);
    }
  }
}
float DotQ4_0(const void* w, const void* a, int64_t n) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      sumi += ((x[i].qs[j] & 0x0F) - 8) * y[i].qs[j];
      sumi += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + kQK4_0 / 2];
    }
    sum += sumi * (Fp16ToFp32(x[i].d) * Fp16ToFp32(y[i].d));
  }
  return sum;
}

uint32_t Q5High(const BlockQ5_0& b) {
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  return qh;
}
void DequantQ5_0(const void* src, float* y, int64_t n) {
  const BlockQ5_0* b = static_cast<const BlockQ5_0*>(src);
  for (int64_t i = 0; i < n / kQK5_0; ++i) {
    const float d = Fp16ToFp32(b[i].d);
    const uint32_t qh = Q5High(b[i]);
    for (int j = 0; j < kQK5_0 / 2; ++j) {
      const uint8_t xh0 = ((qh >> (j + 0)) << 4) & 0x10;
      const uint8_t xh1 = ((qh >> (j + 12))) & 0x10;
      const int x0 = ((b[i].qs[j] & 0x0F) | xh0) - 16;
      const int x1 = ((b[i].qs[j] >> 4) | xh1) - 16;
      y[i * kQK5_0 + j] = x0 * d;
      y[i * kQK5_0 + j + kQK5_0 / 2] = x1 * d;
    }
  }
}
void QuantQ5_0(const float* x, void* dst, int64_t n) {
  BlockQ5_0* b = static_cast<BlockQ5_0*>(dst);
  for (int64_t i = 0; i < n / kQK5_0; ++i) {
    const float* xb = x + i * kQK5_0;
    float amax, max;
    SignedMax(xb, kQK5_0, &amax, &max);
    const float d = max / -16;
    const float id = d ? 1.0f / d : 0.0f;
    b[i].d = Fp32ToFp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kQK5_0 / 2; ++j) {
      const float x0 = xb[j] * id, x1 = xb[kQK5_0 / 2 + j] * id;
      const uint8_t xi0 = static_cast<uint8_t>(std::min(31, static_cast<int>(static_cast<int8_t>(x0 + 16.5f))));
      const uint8_t xi1 = static_cast<uint8_t>(std::min(31, static_cast<int>(static_cast<int8_t>(x1 + 16.5f))));
      b[i].qs[j] = (xi0 & 0x0F) | static_cast<uint8_t>((xi1 & 0x0F) << 4);
      qh |= ((xi0 & 0x10u) >> 4) << (j + 0);
      qh |= ((xi1 & 0x10u) >> 4) << (j + kQK5_0 / 2);
    }
    std::memcpy(b[i].qh, &qh, 4);
  }
}
float DotQ5_0(const void* w, const void* a, int64_t n) {
  const BlockQ5_0* x = static_cast<const BlockQ5_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK5_0; ++i) {
    const uint32_t qh = Q5High(x[i]);
    int sumi = 0;
    for (int j = 0; j < kQK5_0 / 2; ++j) {
      const uint8_t xh0 = ((qh & (1u << (j + 0))) >> (j + 0)) << 4;
      const uint8_t xh1 = ((qh & (1u << (j + 16))) >> (j + 12));
      const int x0 = ((x[i].qs[j] & 0x0F) | xh0) - 16;
      const int x1 = ((x[i].qs[j] >> 4) | xh1) - 16;
      sumi += x0 * y[i].qs[j] + x1 * y[i].qs[j + kQK5_0 / 2];
    }
    sum += sumi * (Fp16ToFp32(x[i].d) * Fp16ToFp32(y[i].d));
  }
  return sum;
}

void DequantQ8_0(const void* src, float* y, int64_t n) {
  const BlockQ8_0* b = static_cast<const BlockQ8_0*>(src);
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const float d = Fp16ToFp32(b[i].d);
    for (int j = 0; j < kQK8_0; ++j) y[i * kQK8_0 + j] = b[i].qs[j] * d;
  }
}
// ggml's quantize_row_q8_0_ref (weights): round half away from zero.
void QuantQ8_0(const float* x, void* dst, int64_t n) {
  BlockQ8_0* b = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const float* xb = x + i * kQK8_0;
    float amax = 0;
    for (int j = 0; j < kQK8_0; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127;
    const float id = d ? 1.0f / d : 0.0f;
    b[i].d = Fp32ToFp16(d);
    for (int j = 0; j < kQK8_0; ++j) b[i].qs[j] = static_cast<int8_t>(std::roundf(xb[j] * id));
  }
}
float DotQ8_0(const void* w, const void* a, int64_t n) {
  const BlockQ8_0* x = static_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQK8_0; ++j) sumi += x[i].qs[j] * y[i].qs[j];
    sum += sumi * (Fp16ToFp32(x[i].d) * Fp16ToFp32(y[i].d));
  }
  return sum;
}

constexpr QuantOps kQ4_0{DequantQ4_0, QuantQ4_0, DotQ4_0};
constexpr QuantOps kQ5_0{DequantQ5_0, QuantQ5_0, DotQ5_0};
constexpr QuantOps kQ8_0{DequantQ8_0, QuantQ8_0, DotQ8_0};

}  // namespace

// ggml's x86 quantize_row_q8_0 (activations): scale 127/amax applied by
// multiplication, then round half to even (_mm256_round_ps nearest).
void QuantizeQ8_0Activation(const float* x, void* dst, int64_t n) {
  BlockQ8_0* b = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const float* xb = x + i * kQK8_0;
    float amax = 0;
    for (int j = 0; j < kQK8_0; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127.f;
    b[i].d = Fp32ToFp16(d);
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    for (int j = 0; j < kQK8_0; ++j) b[i].qs[j] = static_cast<int8_t>(std::nearbyint(xb[j] * id));
  }
}

const QuantOps* LegacyOps(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_0: return &kQ4_0;
    case GgmlType::Q5_0: return &kQ5_0;
    case GgmlType::Q8_0: return &kQ8_0;
    default: return nullptr;
  }
}

}  // namespace bhasa::native::quant
