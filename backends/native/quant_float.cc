// F32, F16 and BF16 rows: conversion and the scalar reference dot (products in
// f32, accumulated in double, as ggml's scalar vec_dot does).
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
float DotBF16(const void* w, const void* a, int64_t n) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(Bf16ToFp32(x[i]) * Bf16ToFp32(y[i]));
  return static_cast<float>(sum);
}

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
