// Integer dot products of quantized weight blocks with activations quantized
// to Q8_1, the building blocks of the decode GEMV (cuda_gemv.cu). Compiled
// for the GPU there and for the host in tests/native/cuda_vec_dot_test.cc,
// which checks every function against the float dot product of the
// dequantized operands on any machine.
//
// An activation block holds 32 int8 values q with scale d and s = d * sum(q),
// so a weight block with an offset or a minimum needs one multiply by s
// instead of a second pass. A "unit" is 32 weight elements: one Q4_0/Q8_0
// block, or one of the eight 32-element slices of a Q4_K/Q6_K super-block;
// unit j of a row meets activation block j. Four int8 products are summed at
// a time (dp4a on the GPU, the same arithmetic in plain C++ on the host).
//
// Plain C++17 with no CUDA headers; pure functions, no state.
#pragma once

#include <cmath>
#include <cstdint>

#include "backends/native/cuda/dequant_elem.h"
#include "backends/native/quant_blocks.h"

#if defined(__CUDACC__)
#define BHASA_HD __host__ __device__ __forceinline__
#else
#define BHASA_HD inline
#endif

namespace bhasa::native::cuda_elem {

constexpr int kQK8_1 = 32;

struct BlockQ8_1 {
  float d;   // scale
  float s;   // d * sum(qs)
  int8_t qs[kQK8_1];
};

// Weight elements per unit, and units per block of each dp4a type.
constexpr int kUnit = 32;

// Products without fused multiply-add, so host and device round alike.
BHASA_HD float Mul(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}

// Four bytes at any address as a little-endian int (blocks are 2-byte aligned).
BHASA_HD int Load4(const void* p) {
  const auto* b = static_cast<const uint8_t*>(p);
  return static_cast<int>(static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8) |
                          (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24));
}

// c + the sum of the four products of the signed bytes of a and b.
BHASA_HD int Dp4a(int a, int b, int c) {
#if defined(__CUDA_ARCH__)
  return __dp4a(a, b, c);
#else
  for (int i = 0; i < 4; ++i)
    c += static_cast<int>(static_cast<int8_t>(static_cast<uint32_t>(a) >> (8 * i))) *
         static_cast<int>(static_cast<int8_t>(static_cast<uint32_t>(b) >> (8 * i)));
  return c;
#endif
}

// 32 floats → one activation block: d = max|x| / 127, q = round(x / d).
BHASA_HD void QuantizeQ8_1(const float* x, BlockQ8_1* out) {
  float amax = 0.0f;
  for (int i = 0; i < kQK8_1; ++i) amax = fmaxf(amax, fabsf(x[i]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  int sum = 0;
  for (int i = 0; i < kQK8_1; ++i) {
    const int q = static_cast<int>(roundf(Mul(x[i], id)));
    out->qs[i] = static_cast<int8_t>(q);
    sum += q;
  }
  out->d = d;
  out->s = Mul(d, static_cast<float>(sum));
}

// ---- dot product of one weight unit with one activation block ----------------

BHASA_HD float DotQ8_0(const quant::BlockQ8_0& w, const BlockQ8_1& x) {
  int sumi = 0;
  for (int i = 0; i < 8; ++i) sumi = Dp4a(Load4(w.qs + 4 * i), Load4(x.qs + 4 * i), sumi);
  return Mul(HalfToFloat(w.d), Mul(x.d, static_cast<float>(sumi)));
}

// Elements are (nibble - 8) * d: the -8 is folded in through x.s.
BHASA_HD float DotQ4_0(const quant::BlockQ4_0& w, const BlockQ8_1& x) {
  int sumi = 0;
  for (int i = 0; i < 4; ++i) {
    const int v = Load4(w.qs + 4 * i);
    sumi = Dp4a(v & 0x0F0F0F0F, Load4(x.qs + 4 * i), sumi);
    sumi = Dp4a((v >> 4) & 0x0F0F0F0F, Load4(x.qs + 16 + 4 * i), sumi);
  }
  return Mul(HalfToFloat(w.d), Mul(x.d, static_cast<float>(sumi)) - Mul(8.0f, x.s));
}

// Slice j (0..7) of a Q4_K super-block: elements are d*sc_j*q - dmin*m_j.
BHASA_HD float DotQ4_K(const quant::BlockQ4_K& w, int j, const BlockQ8_1& x) {
  const uint8_t* qs = w.qs + 32 * (j / 2);
  const int shift = 4 * (j % 2);
  int sumi = 0;
  for (int i = 0; i < 8; ++i) sumi = Dp4a((Load4(qs + 4 * i) >> shift) & 0x0F0F0F0F, Load4(x.qs + 4 * i), sumi);
  int sc, m;
  ScaleMin(w.scales, j, &sc, &m);
  const float d1 = Mul(HalfToFloat(w.d), static_cast<float>(sc));
  const float m1 = Mul(HalfToFloat(w.dmin), static_cast<float>(m));
  return Mul(d1, Mul(x.d, static_cast<float>(sumi))) - Mul(m1, x.s);
}

// Slice j (0..7) of a Q6_K super-block: elements are d*scale[e/16]*(q - 32)
// with q = 4 low bits | 2 high bits << 4, so q fits a signed byte as it is.
BHASA_HD float DotQ6_K(const quant::BlockQ6_K& w, int j, const BlockQ8_1& x) {
  const int half = j / 4, quarter = j % 4;
  const uint8_t* ql = w.ql + 64 * half + 32 * (quarter & 1);
  const uint8_t* qh = w.qh + 32 * half;
  const int low_shift = 4 * (quarter >> 1), high_shift = 2 * quarter;
  int sumi[2] = {0, 0}, sumx[2] = {0, 0};
  for (int i = 0; i < 8; ++i) {
    const int lo = (Load4(ql + 4 * i) >> low_shift) & 0x0F0F0F0F;
    const int hi = (Load4(qh + 4 * i) >> high_shift) & 0x03030303;
    const int xq = Load4(x.qs + 4 * i);
    sumi[i / 4] = Dp4a(lo | (hi << 4), xq, sumi[i / 4]);
    sumx[i / 4] = Dp4a(0x01010101, xq, sumx[i / 4]);
  }
  const int sc0 = w.scales[2 * j], sc1 = w.scales[2 * j + 1];
  const int acc = sc0 * (sumi[0] - 32 * sumx[0]) + sc1 * (sumi[1] - 32 * sumx[1]);
  return Mul(HalfToFloat(w.d), Mul(x.d, static_cast<float>(acc)));
}

}  // namespace bhasa::native::cuda_elem

#undef BHASA_HD
