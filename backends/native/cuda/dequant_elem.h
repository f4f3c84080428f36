// One weight element from its quantized block: the per-element form of the
// scalar dequantizers in quant_legacy.cc and quant_kquants.cc, written so the
// same code compiles for the GPU (inside cuda_dequant.cu) and for the host
// (tests/native/kernels_cuda_test.cc checks it against DequantizeRow on every
// machine, GPU or not).
//
// Plain C++17 with no CUDA headers. Each DecodeX(block, e) returns element e
// (0 <= e < block size) of one block as float, with ggml's float expressions
// in ggml's order; the caller rounds it to f16. Pure functions, no state.
#pragma once

#include <cstdint>
#include <cstring>

#include "backends/native/quant_blocks.h"

#if defined(__CUDACC__)
#define BHASA_HD __host__ __device__ __forceinline__
#else
#define BHASA_HD inline
#endif

namespace bhasa::native::cuda_elem {

BHASA_HD float BitsToFloat(uint32_t bits) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(bits);
#else
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
#endif
}

// IEEE binary16 bits → float, exact (subnormals, inf and NaN included).
BHASA_HD float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu, man = h & 0x3FFu;
  float mag;
  if (exp == 0) {
    mag = static_cast<float>(man) * (1.0f / 16777216.0f);  // man * 2^-24
  } else if (exp == 31) {
    mag = BitsToFloat(0x7F800000u | (man << 13));
  } else {
    mag = BitsToFloat(((exp + 112u) << 23) | (man << 13));
  }
  return sign ? -mag : mag;
}

// ---- blocks of 32 ----------------------------------------------------------

BHASA_HD float DecodeQ4_0(const quant::BlockQ4_0& b, int e) {
  const int q = e < 16 ? (b.qs[e] & 0x0F) : (b.qs[e - 16] >> 4);
  return static_cast<float>(q - 8) * HalfToFloat(b.d);
}

BHASA_HD float DecodeQ5_0(const quant::BlockQ5_0& b, int e) {
  // qh is a little-endian uint32 at a 2-byte-aligned offset: read bytewise.
  const int high = (b.qh[e / 8] >> (e % 8)) & 1;
  const int low = e < 16 ? (b.qs[e] & 0x0F) : (b.qs[e - 16] >> 4);
  return static_cast<float>((low | (high << 4)) - 16) * HalfToFloat(b.d);
}

BHASA_HD float DecodeQ8_0(const quant::BlockQ8_0& b, int e) { return static_cast<float>(b.qs[e]) * HalfToFloat(b.d); }

// ---- K-quants (super-blocks of 256) ----------------------------------------

BHASA_HD float DecodeQ2_K(const quant::BlockQ2_K& b, int e) {
  const int half = e / 128, shift = 2 * ((e % 128) / 32), l = e % 32;
  const int q = (b.qs[32 * half + l] >> shift) & 3;
  const uint8_t sc = b.scales[e / 16];
  const float dl = HalfToFloat(b.d) * (sc & 0xF), ml = HalfToFloat(b.dmin) * (sc >> 4);
  return dl * q - ml;
}

BHASA_HD float DecodeQ3_K(const quant::BlockQ3_K& b, int e) {
  const int half = e / 128, s = (e % 128) / 32, l = e % 32;
  const int low2 = (b.qs[32 * half + l] >> (2 * s)) & 3;
  const int q = low2 - ((b.hmask[l] & (1u << (4 * half + s))) ? 0 : 4);
  const int j = e / 16;
  const int sc_low = j < 8 ? (b.scales[j] & 0xF) : (b.scales[j - 8] >> 4);
  const int sc_high = (b.scales[8 + j % 4] >> (2 * (j / 4))) & 3;
  const int sc = (sc_low | (sc_high << 4)) - 32;
  const float dl = HalfToFloat(b.d) * sc;
  return dl * q;
}

// Scale and min of sub-block j (0..7) of a Q4_K/Q5_K block (ScaleMinK4).
BHASA_HD void ScaleMin(const uint8_t* q, int j, int* d, int* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

BHASA_HD float DecodeQ4_K(const quant::BlockQ4_K& b, int e) {
  const int chunk = e / 64, l = e % 32;
  const bool upper = (e % 64) >= 32;
  const uint8_t byte = b.qs[32 * chunk + l];
  const int q = upper ? (byte >> 4) : (byte & 0xF);
  int sc, m;
  ScaleMin(b.scales, e / 32, &sc, &m);
  const float d1 = HalfToFloat(b.d) * sc, m1 = HalfToFloat(b.dmin) * m;
  return d1 * q - m1;
}

BHASA_HD float DecodeQ5_K(const quant::BlockQ5_K& b, int e) {
  const int chunk = e / 64, l = e % 32;
  const bool upper = (e % 64) >= 32;
  const uint8_t byte = b.qs[32 * chunk + l];
  const int high = (b.qh[l] >> (2 * chunk + (upper ? 1 : 0))) & 1;
  const int q = (upper ? (byte >> 4) : (byte & 0xF)) + 16 * high;
  int sc, m;
  ScaleMin(b.scales, e / 32, &sc, &m);
  const float d1 = HalfToFloat(b.d) * sc, m1 = HalfToFloat(b.dmin) * m;
  return d1 * q - m1;
}

BHASA_HD float DecodeQ6_K(const quant::BlockQ6_K& b, int e) {
  const int half = e / 128, quarter = (e % 128) / 32, l = e % 32;
  const uint8_t low = b.ql[64 * half + l + 32 * (quarter & 1)];
  const int low4 = (quarter >> 1) ? (low >> 4) : (low & 0xF);
  const int high2 = (b.qh[32 * half + l] >> (2 * quarter)) & 3;
  const int q = (low4 | (high2 << 4)) - 32;
  return HalfToFloat(b.d) * b.scales[e / 16] * q;
}

}  // namespace bhasa::native::cuda_elem

#undef BHASA_HD
