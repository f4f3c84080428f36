// AVX2 (+FMA, F16C) dot products, chosen at run time with cpuid. Integer
// block sums are exact, so for the quantized types only the order of the
// float accumulation differs from VecDotRef; for the K-quants the whole
// super-block sum is an exact integer, as in the reference.
//
// Only functions with internal linkage are compiled for AVX2 (the pragma
// region below), and every standard header is included before it, so no
// AVX2 code can leak into inline functions shared with the rest of the
// program.
#include <cstdint>
#include <cstring>

#include "backends/native/quant_blocks.h"
#include "backends/native/quant_impl.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BHASA_X86_SIMD 1
#endif

namespace bhasa::native::quant {

#if BHASA_X86_SIMD
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
namespace {

inline float HsumF32(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int HsumI32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// 32 signed bytes · 32 signed bytes → 8 int32 lane sums (lane k covers bytes
// 4k..4k+3). |b| must stay <= 127 (true for Q8_0 activations).
inline __m256i DotSigned(__m256i a, __m256i b) {
  const __m256i ax = _mm256_sign_epi8(a, a);
  const __m256i sy = _mm256_sign_epi8(b, a);
  return _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sy), _mm256_set1_epi16(1));
}

// 32 unsigned bytes (<= 127) · 32 signed bytes → 8 int32 lane sums.
inline __m256i DotUnsigned(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

inline __m256i Load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// 16 bytes of nibbles → 32 bytes: low nibbles first, then high nibbles.
inline __m256i Nibbles(const uint8_t* p) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// 32 bits → 32 bytes, 0xFF where the bit is set.
inline __m256i BitsToBytes(uint32_t x) {
  const __m256i shuf = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
  __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(x)), shuf);
  bytes = _mm256_or_si256(bytes, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
  return _mm256_cmpeq_epi8(bytes, _mm256_set1_epi64x(-1));
}

float DotF32(const void* w, const void* a, int64_t n) {
  const float* x = static_cast<const float*>(w);
  const float* y = static_cast<const float*>(a);
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
  float sum = HsumF32(_mm256_add_ps(s0, s1));
  for (; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

inline __m256 LoadF16(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
template <__m256 (*LoadFn)(const uint16_t*), float (*Scalar)(uint16_t)>
float DotHalf(const void* w, const void* a, int64_t n) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(LoadFn(x + i), LoadFn(y + i), s0);
    s1 = _mm256_fmadd_ps(LoadFn(x + i + 8), LoadFn(y + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(LoadFn(x + i), LoadFn(y + i), s0);
  float sum = HsumF32(_mm256_add_ps(s0, s1));
  for (; i < n; ++i) sum += Scalar(x[i]) * Scalar(y[i]);
  return sum;
}

inline float Half(uint16_t h) { return _cvtsh_ss(h); }

// ggml's AVX512-BF16 sums (see quant_float.cc) with AVX2: the 16 f32 lanes
// of one VDPBF16PS accumulator live in two registers; per 32-bit lane the odd
// bf16 product is added before the even one, exactly as that instruction does.
struct Lanes16 {
  __m256 lo, hi;
};

inline __m256 PairStep(__m256 acc, __m256i x, __m256i y) {
  const __m256i odd_mask = _mm256_set1_epi32(static_cast<int>(0xFFFF0000u));
  const __m256 xo = _mm256_castsi256_ps(_mm256_and_si256(x, odd_mask));
  const __m256 yo = _mm256_castsi256_ps(_mm256_and_si256(y, odd_mask));
  const __m256 xe = _mm256_castsi256_ps(_mm256_slli_epi32(x, 16));
  const __m256 ye = _mm256_castsi256_ps(_mm256_slli_epi32(y, 16));
  acc = _mm256_add_ps(acc, _mm256_mul_ps(xo, yo));  // products are exact: no FMA needed
  return _mm256_add_ps(acc, _mm256_mul_ps(xe, ye));
}

// 32 bf16 of x and y into the 16 lanes.
inline void Bf16Step(Lanes16& c, const uint16_t* x, const uint16_t* y) {
  c.lo = PairStep(c.lo, Load(x), Load(y));
  c.hi = PairStep(c.hi, Load(x + 16), Load(y + 16));
}

// _mm512_reduce_add_ps's tree: lanes i and i+8, then i+4, then i+2, i+1.
inline float ReduceTree(const Lanes16& c) {
  const __m256 a = _mm256_add_ps(c.lo, c.hi);
  const __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  const __m128 t = _mm_add_ps(b, _mm_movehl_ps(b, b));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

float DotBF16Row(const void* w, const void* a, int64_t n) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  Lanes16 c1{_mm256_setzero_ps(), _mm256_setzero_ps()}, c2 = c1;
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    Bf16Step(c1, x + i, y + i);
    Bf16Step(c2, x + i + 32, y + i + 32);
  }
  double sum = ReduceTree(c1);
  sum += ReduceTree(c2);
  for (; i < n; ++i) sum += static_cast<double>(Bf16ToFp32(x[i]) * Bf16ToFp32(y[i]));
  return static_cast<float>(sum);
}

float DotBF16InBatch(const void* w, const void* a, int64_t n) {
  if (n % 32) return DotBF16Row(w, a, n);
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  Lanes16 c{_mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int64_t i = 0; i < n; i += 32) Bf16Step(c, x + i, y + i);
  return ReduceTree(c);
}

float DotQ8_0(const void* w, const void* a, int64_t n) {
  const BlockQ8_0* x = static_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const __m256 d = _mm256_set1_ps(Half(x[i].d) * Half(y[i].d));
    const __m256i p = DotSigned(Load(x[i].qs), Load(y[i].qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc);
  }
  return HsumF32(acc);
}

float DotQ4_0(const void* w, const void* a, int64_t n) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  const __m256i off = _mm256_set1_epi8(8);
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    const __m256 d = _mm256_set1_ps(Half(x[i].d) * Half(y[i].d));
    const __m256i q = _mm256_sub_epi8(Nibbles(x[i].qs), off);
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(DotSigned(q, Load(y[i].qs))), acc);
  }
  return HsumF32(acc);
}

float DotQ5_0(const void* w, const void* a, int64_t n) {
  const BlockQ5_0* x = static_cast<const BlockQ5_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK5_0; ++i) {
    uint32_t qh;
    std::memcpy(&qh, x[i].qh, 4);
    const __m256 d = _mm256_set1_ps(Half(x[i].d) * Half(y[i].d));
    const __m256i hi = _mm256_and_si256(BitsToBytes(qh), _mm256_set1_epi8(0x10));
    const __m256i q = _mm256_sub_epi8(_mm256_or_si256(Nibbles(x[i].qs), hi), _mm256_set1_epi8(16));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(DotSigned(q, Load(y[i].qs))), acc);
  }
  return HsumF32(acc);
}

// Sum over 16 sub-blocks of 16: scale[j] * (u · q8) with u unsigned bytes.
inline int SubBlocks16(const int8_t* u, const int8_t* q8, const int32_t* scales) {
  __m256i acc = _mm256_setzero_si256();
  for (int j = 0; j < 16; j += 2) {
    const __m256i p = DotUnsigned(Load(u + 16 * j), Load(q8 + 16 * j));
    const __m256i s = _mm256_setr_epi32(scales[j], scales[j], scales[j], scales[j], scales[j + 1], scales[j + 1],
                                        scales[j + 1], scales[j + 1]);
    acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(p, s));
  }
  return HsumI32(acc);
}

float DotQ2_K(const void* w, const void* a, int64_t n) {
  const BlockQ2_K* x = static_cast<const BlockQ2_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  alignas(32) int8_t q[kQK_K];
  int32_t sc[16];
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    UnpackQ2K(x[i], q);
    int summs = 0;
    for (int j = 0; j < 16; ++j) {
      sc[j] = x[i].scales[j] & 0xF;
      summs += y[i].bsums[j] * (x[i].scales[j] >> 4);
    }
    const int isum = SubBlocks16(q, y[i].qs, sc);
    sum += y[i].d * Half(x[i].d) * isum - y[i].d * Half(x[i].dmin) * summs;
  }
  return sum;
}

float DotQ3_K(const void* w, const void* a, int64_t n) {
  const BlockQ3_K* x = static_cast<const BlockQ3_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  alignas(32) int8_t q[kQK_K];
  int8_t s8[16];
  int32_t sc[16];
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    UnpackQ3K(x[i], q);
    UnpackQ3KScales(x[i].scales, s8);
    // q in -4..3: dot with q+4 (unsigned), then take 4 * sum(q8) back out.
    const __m256i four = _mm256_set1_epi8(4);
    for (int k = 0; k < kQK_K; k += 32) _mm256_store_si256(reinterpret_cast<__m256i*>(q + k), _mm256_add_epi8(Load(q + k), four));
    int corr = 0;
    for (int j = 0; j < 16; ++j) {
      sc[j] = s8[j];
      corr += s8[j] * y[i].bsums[j];
    }
    const int isum = SubBlocks16(q, y[i].qs, sc) - 4 * corr;
    sum += Half(x[i].d) * y[i].d * isum;
  }
  return sum;
}

float DotQ6_K(const void* w, const void* a, int64_t n) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  alignas(32) int8_t q[kQK_K];
  int32_t sc[16];
  float sum = 0;
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x30);
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    // Unpack to q + 32 (0..63) directly from the bit planes.
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = x[i].ql + 64 * half;
      const uint8_t* qh = x[i].qh + 32 * half;
      const __m256i l0 = Load(ql), l1 = Load(ql + 32), h = Load(qh);
      int8_t* o = q + 128 * half;
      auto put = [&](int at, __m256i lo, __m256i hi_bits) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(o + at), _mm256_or_si256(lo, _mm256_and_si256(hi_bits, m2)));
      };
      put(0, _mm256_and_si256(l0, m4), _mm256_slli_epi16(h, 4));
      put(32, _mm256_and_si256(l1, m4), _mm256_slli_epi16(h, 2));
      put(64, _mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), h);
      put(96, _mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_srli_epi16(h, 2));
    }
    int corr = 0;
    for (int j = 0; j < 16; ++j) {
      sc[j] = x[i].scales[j];
      corr += sc[j] * y[i].bsums[j];
    }
    const int isum = SubBlocks16(q, y[i].qs, sc) - 32 * corr;
    sum += Half(x[i].d) * y[i].d * isum;
  }
  return sum;
}

template <typename Block, void (*Unpack)(const Block&, int8_t*)>
float DotQ45_K(const void* w, const void* a, int64_t n) {
  const Block* x = static_cast<const Block*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  alignas(32) int8_t q[kQK_K];
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    Unpack(x[i], q);
    __m256i acc = _mm256_setzero_si256();
    int summs = 0;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      ScaleMinK4(j, x[i].scales, &sc, &m);
      const __m256i p = DotUnsigned(Load(q + 32 * j), Load(y[i].qs + 32 * j));
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(p, _mm256_set1_epi32(sc)));
      summs += m * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    }
    sum += Half(x[i].d) * y[i].d * HsumI32(acc) - Half(x[i].dmin) * y[i].d * summs;
  }
  return sum;
}

}  // namespace
#pragma GCC pop_options

namespace {
bool HasAvx2() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                         __builtin_cpu_supports("f16c");
  return ok;
}
}  // namespace

VecDotFn SimdVecDot(GgmlType t) {
  if (!HasAvx2()) return nullptr;
  switch (t) {
    case GgmlType::F32: return DotF32;
    case GgmlType::F16: return DotHalf<LoadF16, Half>;
    case GgmlType::BF16: return DotBF16Row;
    case GgmlType::Q8_0: return DotQ8_0;
    case GgmlType::Q4_0: return DotQ4_0;
    case GgmlType::Q5_0: return DotQ5_0;
    case GgmlType::Q2_K: return DotQ2_K;
    case GgmlType::Q3_K: return DotQ3_K;
    case GgmlType::Q4_K: return DotQ45_K<BlockQ4_K, UnpackQ4K>;
    case GgmlType::Q5_K: return DotQ45_K<BlockQ5_K, UnpackQ5K>;
    case GgmlType::Q6_K: return DotQ6_K;
    default: return nullptr;
  }
}

VecDotFn SimdVecDotBatched(GgmlType t) {
  if (!HasAvx2()) return nullptr;
  return t == GgmlType::BF16 ? DotBF16InBatch : SimdVecDot(t);
}

const char* SimdTargetName() { return HasAvx2() ? "AVX2" : "scalar"; }

#else  // no x86 SIMD in this build: the scalar reference serves VecDot.

VecDotFn SimdVecDot(GgmlType) { return nullptr; }
VecDotFn SimdVecDotBatched(GgmlType) { return nullptr; }
const char* SimdTargetName() { return "scalar"; }

#endif

}  // namespace bhasa::native::quant
