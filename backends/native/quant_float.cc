// F32, F16 and BF16 rows: conversion and the scalar reference dot (F32/F16:
// products in f32 accumulated in double, as ggml's scalar vec_dot does; BF16:
// ggml's AVX512-BF16 order, below).
#include <cstring>

#include "backends/native/quant_impl.h"

namespace bhasa::native::quant {
namespace {

void DequantF32(const void* src, float* dst, int64_t n) { std::memcpy(dst, src, n * sizeof(float)); }
void QuantF32(const float* src, void* dst, int64_t n) { std::memcpy(dst, src, n * sizeof(float)); }
float DotF32(const void* w, const void* a, int64_t n) {
  const float* x = static_cast<const float*>(w);
  const float* y = static_cast<const float*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * y[i]);
  return static_cast<float>(sum);
}

void DequantF16(const void* src, float* dst, int64_t n) {
  const uint16_t* s = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = Fp16ToFp32(s[i]);
}
void QuantF16(const float* src, void* dst, int64_t n) {
  uint16_t* d = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = Fp32ToFp16(src[i]);
}
float DotF16(const void* w, const void* a, int64_t n) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(Fp16ToFp32(x[i]) * Fp16ToFp32(y[i]));
  return static_cast<float>(sum);
}

void DequantBF16(const void* src, float* dst, int64_t n) {
  const uint16_t* s = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = Bf16ToFp32(s[i]);
}
void QuantBF16(const float* src, void* dst, int64_t n) {
  uint16_t* d = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = Fp32ToBf16(src[i]);
}
// BF16 sums follow ggml on a CPU with AVX512-BF16 (the fixtures' reference):
// each VDPBF16PS step adds, per 32-bit lane, the odd product and then the
// even one (products of bf16 values are exact in f32, so only this order
// rounds); 16 lanes are reduced as _mm512_reduce_add_ps does.
float Bf16Lane(const uint16_t* x, const uint16_t* y, int l, float acc) {
  acc += Bf16ToFp32(x[2 * l + 1]) * Bf16ToFp32(y[2 * l + 1]);
  return acc + Bf16ToFp32(x[2 * l]) * Bf16ToFp32(y[2 * l]);
}

// One row (ggml_vec_dot_bf16): two 16-lane accumulators over 64-element
// steps, each reduced and added in double, then the tail in double.
float DotBF16(const void* w, const void* a, int64_t n) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  float c1[16] = {}, c2[16] = {};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64)
    for (int l = 0; l < 16; ++l) {
      c1[l] = Bf16Lane(x + i, y + i, l, c1[l]);
      c2[l] = Bf16Lane(x + i + 32, y + i + 32, l, c2[l]);
    }
  double sum = ReduceLanes16(c1);
  sum += ReduceLanes16(c2);
  for (; i < n; ++i) sum += static_cast<double>(Bf16ToFp32(x[i]) * Bf16ToFp32(y[i]));
  return static_cast<float>(sum);
}

}  // namespace

// Rows of a batch (llamafile's tiled GEMM): one 16-lane accumulator over
// 32-element steps. n % 32 == 0 is the GEMM's own precondition; a tail
// falls back to the single-row order.
float DotBF16Batched(const void* w, const void* a, int64_t n) {
  if (n % 32) return DotBF16(w, a, n);
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  float c[16] = {};
  for (int64_t i = 0; i < n; i += 32)
    for (int l = 0; l < 16; ++l) c[l] = Bf16Lane(x + i, y + i, l, c[l]);
  return ReduceLanes16(c);
}

float ReduceLanes16(const float* v) {
  float a[8], b[4];
  for (int i = 0; i < 8; ++i) a[i] = v[i] + v[i + 8];
  for (int i = 0; i < 4; ++i) b[i] = a[i] + a[i + 4];
  return (b[0] + b[2]) + (b[1] + b[3]);
}

namespace {

constexpr QuantOps kF32{DequantF32, QuantF32, DotF32};
constexpr QuantOps kF16{DequantF16, QuantF16, DotF16};
constexpr QuantOps kBF16{DequantBF16, QuantBF16, DotBF16};

}  // namespace

const QuantOps* FloatOps(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return &kF32;
    case GgmlType::F16: return &kF16;
    case GgmlType::BF16: return &kBF16;
    default: return nullptr;
  }
}

}  // namespace bhasa::native::quant
