// AVX2 (+FMA, F16C) dot products, chosen at run time with cpuid. Integer
// block sums are exact, so for the quantized types only the order of the
// float accumulation differs from VecDotRef; for the K-quants the whole
// super-block sum is an exact integer, as in the reference. The tiles of
// VecDotTile (second half of the file) reproduce these dots bit for bit.
//
// Only functions with internal linkage are compiled for AVX2 (the pragma
// region below), and every standard header is included before it, so no
// AVX2 code can leak into inline functions shared with the rest of the
// program.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "backends/native/quant_blocks.h"
#include "backends/native/prefetch_rows.h"
#include "backends/native/quant_impl.h"

// GCC only: the region below is compiled for AVX2 by `#pragma GCC target`,
// which clang ignores (a clang build, e.g. the fuzz targets, uses the scalar path).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
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

// Legacy weight blocks as 32 signed bytes (the single dots and the tiles).
struct UnpackQ8_0 {
  using Block = BlockQ8_0;
  static __m256i Quants(const Block& b) { return Load(b.qs); }
};
struct UnpackQ4_0 {
  using Block = BlockQ4_0;
  static __m256i Quants(const Block& b) { return _mm256_sub_epi8(Nibbles(b.qs), _mm256_set1_epi8(8)); }
};
struct UnpackQ5_0 {
  using Block = BlockQ5_0;
  static __m256i Quants(const Block& b) {
    uint32_t qh;
    std::memcpy(&qh, b.qh, 4);
    const __m256i hi = _mm256_and_si256(BitsToBytes(qh), _mm256_set1_epi8(0x10));
    return _mm256_sub_epi8(_mm256_or_si256(Nibbles(b.qs), hi), _mm256_set1_epi8(16));
  }
};

template <class Unpack>
float DotLegacy(const void* w, const void* a, int64_t n) {
  const auto* x = static_cast<const typename Unpack::Block*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const __m256 d = _mm256_set1_ps(Half(x[i].d) * Half(y[i].d));
    const __m256i p = DotSigned(Unpack::Quants(x[i]), Load(y[i].qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc);
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

// ---- Tiles of batched dots (VecDotTile) ----
//
// A tile computes several rows x several activations at once, sharing each
// weight block's unpacking across the activations and each activation block's
// load across the rows. Every output keeps exactly the arithmetic of its
// single dot above. Float and legacy types: the same 8 lane values per block
// (legacy: the same int32 lane sums), the same block-scale multiply, the same
// FMA into the same 8-lane accumulator in block order, the same horizontal sum
// and scalar tail. K-quants: the same exact integer super-block sums (only
// their totals enter the float math, so their lanes may be grouped
// differently) and the same float expression per super-block, run for up to 8
// activations at once with one lane each. The results are therefore
// bit-identical to VecDot. This relies on the compiler not contracting a*b+c
// into an FMA on its own (ISO C++ mode: GCC's default -ffp-contract=off); the
// tests compare bit for bit.

// Largest kernel per family, rows x activations; measured with
// bench/vecdot_bench BM_Block on a 2-core Zen 5 (AVX2 code): legacy 4x3 (some
// accumulators spill, still ahead of 2x4 and 4x2), K-quants 2x8 (the 8
// activations fill the float lanes of the super-block step), float 2x2 (two
// accumulators per output already).
constexpr int kLegacyRows = 4, kLegacyActs = 3;
constexpr int kKRows = 2, kKActs = 8;
constexpr int kFloatRows = 2, kFloatActs = 2;

using TileKernel = void (*)(const void* const* rows, const void* const* acts, int64_t n, float* out,
                            int64_t out_stride);

// Table of Kernel<R, T> for R in 1..Rmax, T in 1..Tmax, at index (R-1)*Tmax + T-1.
template <template <int, int> class Kernel, int Rmax, int Tmax, int... I>
constexpr std::array<TileKernel, sizeof...(I)> TileTable(std::integer_sequence<int, I...>) {
  return {&Kernel<I / Tmax + 1, I % Tmax + 1>::Run...};
}

// Walks a rows x acts tile in kernel-sized pieces, activations outer so that
// a piece's activation blocks stay in L1 while the weight rows go past;
// smaller kernels take the edges.
template <template <int, int> class Kernel, int Rmax, int Tmax>
void RunTiles(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n, float* out,
              int64_t out_stride) {
  static constexpr auto kTable = TileTable<Kernel, Rmax, Tmax>(std::make_integer_sequence<int, Rmax * Tmax>{});
  for (int t0 = 0; t0 < n_acts; t0 += Tmax) {
    const int nt = std::min(Tmax, n_acts - t0);
    for (int r0 = 0; r0 < n_rows; r0 += Rmax) {
      const int nr = std::min(Rmax, n_rows - r0);
      kTable[(nr - 1) * Tmax + nt - 1](rows + r0, acts + t0, n, out + t0 * out_stride + r0, out_stride);
    }
  }
}

// R weight rows x T Q8_0 activations: DotLegacy's steps, with DotSigned
// spelled out so that the weight's absolute value is taken once per row.
template <class Unpack>
struct LegacyTile {
  template <int R, int T>
  struct Kernel {
    static void Run(const void* const* rows, const void* const* acts, int64_t n, float* out, int64_t out_stride) {
      using Block = typename Unpack::Block;
      const Block* x[R];
      const BlockQ8_0* y[T];
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) x[r] = static_cast<const Block*>(rows[r]);
#pragma GCC unroll 16
      for (int t = 0; t < T; ++t) y[t] = static_cast<const BlockQ8_0*>(acts[t]);
      __m256 acc[R][T];
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
      const __m256i ones = _mm256_set1_epi16(1);
      for (int64_t i = 0; i < n / kQK8_0; ++i) {
        alignas(16) float dy[T];
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) dy[t] = Half(y[t][i].d);
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
          const __m256i q = Unpack::Quants(x[r][i]);
          const __m256i aq = _mm256_sign_epi8(q, q);
          const __m256 dx = _mm256_set1_ps(Half(x[r][i].d));
#pragma GCC unroll 16
          for (int t = 0; t < T; ++t) {
            // Every lane holds the single dot's scalar product Half(x.d) * Half(y.d).
            const __m256 d = _mm256_mul_ps(dx, _mm256_broadcast_ss(&dy[t]));
            const __m256i sy = _mm256_sign_epi8(Load(y[t][i].qs), q);
            const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(aq, sy), ones);
            acc[r][t] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc[r][t]);
          }
        }
      }
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) out[t * out_stride + r] = HsumF32(acc[r][t]);
    }
  };
};

template <class Unpack>
void LegacyTiles(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n, float* out,
                 int64_t out_stride) {
  RunTiles<LegacyTile<Unpack>::template Kernel, kLegacyRows, kLegacyActs>(rows, n_rows, acts, n_acts, n, out,
                                                                           out_stride);
}

// Float rows (F32, F16 with F16 activations) as DotF32/DotHalf sum them: two
// accumulators over alternate 8-element chunks, one more chunk into the
// first, their lane sum, then the leftover elements one by one.
struct F32Elems {
  using Elem = float;
  static __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
  static float One(float v) { return v; }
};
struct F16Elems {
  using Elem = uint16_t;
  static __m256 Load8(const uint16_t* p) { return LoadF16(p); }
  static float One(uint16_t h) { return Half(h); }
};

template <class E>
struct FloatTile {
  template <int R, int T>
  struct Kernel {
    static void Run(const void* const* rows, const void* const* acts, int64_t n, float* out, int64_t out_stride) {
      using Elem = typename E::Elem;
      const Elem* x[R];
      const Elem* y[T];
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) x[r] = static_cast<const Elem*>(rows[r]);
#pragma GCC unroll 16
      for (int t = 0; t < T; ++t) y[t] = static_cast<const Elem*>(acts[t]);
      __m256 s0[R][T], s1[R][T];
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) s0[r][t] = s1[r][t] = _mm256_setzero_ps();
      int64_t i = 0;
      for (; i + 16 <= n; i += 16) {
        __m256 w0[R], w1[R];
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
          w0[r] = E::Load8(x[r] + i);
          w1[r] = E::Load8(x[r] + i + 8);
        }
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) {
          const __m256 a0 = E::Load8(y[t] + i), a1 = E::Load8(y[t] + i + 8);
#pragma GCC unroll 16
          for (int r = 0; r < R; ++r) {
            s0[r][t] = _mm256_fmadd_ps(w0[r], a0, s0[r][t]);
            s1[r][t] = _mm256_fmadd_ps(w1[r], a1, s1[r][t]);
          }
        }
      }
      const bool chunk = i + 8 <= n;
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) {
          if (chunk) s0[r][t] = _mm256_fmadd_ps(E::Load8(x[r] + i), E::Load8(y[t] + i), s0[r][t]);
          float sum = HsumF32(_mm256_add_ps(s0[r][t], s1[r][t]));
          for (int64_t k = chunk ? i + 8 : i; k < n; ++k) sum += E::One(x[r][k]) * E::One(y[t][k]);
          out[t * out_stride + r] = sum;
        }
      }
    }
  };
};

template <class E>
void FloatTiles(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n, float* out,
                int64_t out_stride) {
  RunTiles<FloatTile<E>::template Kernel, kFloatRows, kFloatActs>(rows, n_rows, acts, n_acts, n, out, out_stride);
}

// Lane t of the result = the sum of the 8 int32 lanes of v[t] (exact).
inline __m256i HsumI32x8(const __m256i* v) {
  const __m256i h01 = _mm256_hadd_epi32(v[0], v[1]), h23 = _mm256_hadd_epi32(v[2], v[3]);
  const __m256i h45 = _mm256_hadd_epi32(v[4], v[5]), h67 = _mm256_hadd_epi32(v[6], v[7]);
  const __m256i h03 = _mm256_hadd_epi32(h01, h23), h47 = _mm256_hadd_epi32(h45, h67);  // [0..3 | 0..3]
  return _mm256_add_epi32(_mm256_permute2x128_si256(h03, h47, 0x20), _mm256_permute2x128_si256(h03, h47, 0x31));
}

// The Q8_K scales of up to 8 activations' super-block i, lane t for activation t.
template <int T>
inline __m256 ActScales(const BlockQ8_K* const* y, int64_t i) {
  float d[8];
#pragma GCC unroll 16
  for (int t = 0; t < 8; ++t) d[t] = t < T ? y[t][i].d : 0.0f;
  return _mm256_setr_ps(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
}

// R rows x T <= 8 activations of the K-quants. The integer super-block sums
// of activation t gather in lane t, so the per-super-block float step of the
// single dot (one scalar expression per output) runs for 8 outputs in one
// vector expression of the same operations in the same order.
template <int R, int T>
struct Q4KTile {
  static void Run(const void* const* rows, const void* const* acts, int64_t n, float* out, int64_t out_stride) {
    static_assert(T <= 8);
    const BlockQ8_K* y[T];
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) y[t] = static_cast<const BlockQ8_K*>(acts[t]);
    __m256 sum[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) sum[r] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    // Byte k of each 16-bit lane pair picks min k twice (bsums come per 16).
    const __m128i dup = _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    const BlockQ4_K* const first = static_cast<const BlockQ4_K*>(rows[0]);
    for (int64_t i = 0; i < n / kQK_K; ++i) {
      if constexpr (T == 1) PrefetchNextPass<R>(first, i, n / kQK_K);
      const __m256 yd = ActScales<T>(y, i);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const BlockQ4_K& x = static_cast<const BlockQ4_K*>(rows[r])[i];
        // ScaleMinK4 for all 8 sub-blocks: u[0..1] the scales, u[2..3] the mins.
        uint32_t u[4];
        std::memcpy(u, x.scales, 12);
        u[3] = ((u[2] >> 4) & 0x0f0f0f0f) | (((u[1] >> 6) & 0x03030303) << 4);
        const uint32_t mins_lo = u[1] & 0x3f3f3f3f;
        u[1] = (u[2] & 0x0f0f0f0f) | (((u[0] >> 6) & 0x03030303) << 4);
        u[2] = mins_lo;
        u[0] &= 0x3f3f3f3f;
        const __m128i mins8 = _mm_set_epi32(0, 0, static_cast<int>(u[3]), static_cast<int>(u[2]));
        const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(mins8, dup));
        const uint8_t* sc = reinterpret_cast<const uint8_t*>(u);
        __m256i acc[8], msum[8];
#pragma GCC unroll 16
        for (int t = 0; t < 8; ++t) acc[t] = msum[t] = _mm256_setzero_si256();
#pragma GCC unroll 16
        for (int j = 0; j < 4; ++j) {
          const __m256i bytes = Load(x.qs + 32 * j);
          const __m256i lo = _mm256_and_si256(bytes, m4);
          const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), m4);
          const __m256i s_lo = _mm256_set1_epi16(sc[2 * j]), s_hi = _mm256_set1_epi16(sc[2 * j + 1]);
#pragma GCC unroll 16
          for (int t = 0; t < T; ++t) {
            const int8_t* q8 = y[t][i].qs + 64 * j;
            acc[t] = _mm256_add_epi32(acc[t], _mm256_madd_epi16(_mm256_maddubs_epi16(lo, Load(q8)), s_lo));
            acc[t] = _mm256_add_epi32(acc[t], _mm256_madd_epi16(_mm256_maddubs_epi16(hi, Load(q8 + 32)), s_hi));
          }
        }
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) msum[t] = _mm256_madd_epi16(Load(y[t][i].bsums), mins16);
        const __m256 isum = _mm256_cvtepi32_ps(HsumI32x8(acc));
        const __m256 summs = _mm256_cvtepi32_ps(HsumI32x8(msum));
        // DotQ45_K: sum += Half(d) * y.d * isum - Half(dmin) * y.d * summs.
        const __m256 a = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(Half(x.d)), yd), isum);
        const __m256 b = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(Half(x.dmin)), yd), summs);
        sum[r] = _mm256_add_ps(sum[r], _mm256_sub_ps(a, b));
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      alignas(32) float s[8];
      _mm256_store_ps(s, sum[r]);
#pragma GCC unroll 16
      for (int t = 0; t < T; ++t) out[t * out_stride + r] = s[t];
    }
  }
};

// R rows x T <= 8 activations of Q6_K; values unpacked to q + 32 and
// 32 * sum(scale * bsum) taken back out, as DotQ6_K.
template <int R, int T>
struct Q6KTile {
  static void Run(const void* const* rows, const void* const* acts, int64_t n, float* out, int64_t out_stride) {
    static_assert(T <= 8);
    const BlockQ8_K* y[T];
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) y[t] = static_cast<const BlockQ8_K*>(acts[t]);
    __m256 sum[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) sum[r] = _mm256_setzero_ps();
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x30);
    const BlockQ6_K* const first = static_cast<const BlockQ6_K*>(rows[0]);
    for (int64_t i = 0; i < n / kQK_K; ++i) {
      if constexpr (T == 1) PrefetchNextPass<R>(first, i, n / kQK_K);
      const __m256 yd = ActScales<T>(y, i);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const BlockQ6_K& x = static_cast<const BlockQ6_K*>(rows[r])[i];
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.scales)));
        __m256i acc[8];
#pragma GCC unroll 16
        for (int t = 0; t < 8; ++t)  // -32 * sum(scale * bsum), exact
          acc[t] = t < T ? _mm256_sub_epi32(_mm256_setzero_si256(),
                                            _mm256_slli_epi32(_mm256_madd_epi16(Load(y[t][i].bsums), sc16), 5))
                         : _mm256_setzero_si256();
#pragma GCC unroll 16
        for (int half = 0; half < 2; ++half) {
          const uint8_t* ql = x.ql + 64 * half;
          const uint8_t* qh = x.qh + 32 * half;
          const __m256i l0 = Load(ql), l1 = Load(ql + 32), h = Load(qh);
          const __m256i q[4] = {
              _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(h, 4), m2)),
              _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(h, 2), m2)),
              _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(h, m2)),
              _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                              _mm256_and_si256(_mm256_srli_epi16(h, 2), m2)),
          };
#pragma GCC unroll 16
          for (int k = 0; k < 4; ++k) {
            const int j = 8 * half + 2 * k;  // sub-blocks j (low 16 bytes) and j + 1 (high 16)
            const __m256i s = _mm256_set_m128i(_mm_set1_epi16(x.scales[j + 1]), _mm_set1_epi16(x.scales[j]));
#pragma GCC unroll 16
            for (int t = 0; t < T; ++t) {
              const __m256i p = _mm256_maddubs_epi16(q[k], Load(y[t][i].qs + 128 * half + 32 * k));
              acc[t] = _mm256_add_epi32(acc[t], _mm256_madd_epi16(p, s));
            }
          }
        }
        // DotQ6_K: sum += Half(d) * y.d * isum.
        const __m256 isum = _mm256_cvtepi32_ps(HsumI32x8(acc));
        sum[r] = _mm256_add_ps(sum[r], _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(Half(x.d)), yd), isum));
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      alignas(32) float s[8];
      _mm256_store_ps(s, sum[r]);
#pragma GCC unroll 16
      for (int t = 0; t < T; ++t) out[t * out_stride + r] = s[t];
    }
  }
};

}  // namespace
#pragma GCC pop_options

namespace {

bool HasAvx2() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                         __builtin_cpu_supports("f16c");
  return ok;
}

}  // namespace

std::vector<SimdTarget> SupportedTargets() {
  std::vector<SimdTarget> targets;
  if (HasAvx2() && HasAmx()) targets.push_back(SimdTarget::kAmx);
  if (HasAvx2() && HasAvx512Vnni()) targets.push_back(SimdTarget::kAvx512Vnni);
  if (HasAvx2()) targets.push_back(SimdTarget::kAvx2);
  targets.push_back(SimdTarget::kScalar);
  return targets;
}

VecDotFn SimdVecDot(GgmlType t) {
  if (CurrentTarget() == SimdTarget::kScalar) return nullptr;
  switch (t) {
    case GgmlType::F32: return DotF32;
    case GgmlType::F16: return DotHalf<LoadF16, Half>;
    case GgmlType::BF16: return DotBF16Row;
    case GgmlType::Q8_0: return DotLegacy<UnpackQ8_0>;
    case GgmlType::Q4_0: return DotLegacy<UnpackQ4_0>;
    case GgmlType::Q5_0: return DotLegacy<UnpackQ5_0>;
    case GgmlType::Q2_K: return DotQ2_K;
    case GgmlType::Q3_K: return DotQ3_K;
    case GgmlType::Q4_K: return DotQ45_K<BlockQ4_K, UnpackQ4K>;
    case GgmlType::Q5_K: return DotQ45_K<BlockQ5_K, UnpackQ5K>;
    case GgmlType::Q6_K: return DotQ6_K;
    default: return nullptr;
  }
}

VecDotFn SimdVecDotBatched(GgmlType t) {
  if (CurrentTarget() == SimdTarget::kScalar) return nullptr;
  return t == GgmlType::BF16 ? DotBF16InBatch : SimdVecDot(t);
}

namespace {

// AMX where the call suits it (AmxTileK), else the AVX-512 tile.
template <GgmlType kType>
void AmxOrAvx512(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n, float* out,
                 int64_t out_stride) {
  if (!AmxTileK(kType, rows, n_rows, acts, n_acts, n, out, out_stride))
    Avx512VecDotTile(kType)(rows, n_rows, acts, n_acts, n, out, out_stride);
}

}  // namespace

VecDotTileFn SimdVecDotTile(GgmlType t) {
  const SimdTarget target = CurrentTarget();
  if (target == SimdTarget::kScalar) return nullptr;
  if (target == SimdTarget::kAmx && t == GgmlType::Q4_K) return AmxOrAvx512<GgmlType::Q4_K>;
  if (target == SimdTarget::kAmx && t == GgmlType::Q6_K) return AmxOrAvx512<GgmlType::Q6_K>;
  if (UsesAvx512(target))
    if (VecDotTileFn fn = Avx512VecDotTile(t)) return fn;
  switch (t) {
    case GgmlType::F32: return FloatTiles<F32Elems>;
    case GgmlType::F16: return FloatTiles<F16Elems>;
    case GgmlType::Q8_0: return LegacyTiles<UnpackQ8_0>;
    case GgmlType::Q4_0: return LegacyTiles<UnpackQ4_0>;
    case GgmlType::Q5_0: return LegacyTiles<UnpackQ5_0>;
    case GgmlType::Q4_K: return RunTiles<Q4KTile, kKRows, kKActs>;
    case GgmlType::Q6_K: return RunTiles<Q6KTile, kKRows, kKActs>;
    default: return nullptr;
  }
}

#else  // no x86 SIMD in this build: the scalar reference serves VecDot.

std::vector<SimdTarget> SupportedTargets() { return {SimdTarget::kScalar}; }
VecDotFn SimdVecDot(GgmlType) { return nullptr; }
VecDotFn SimdVecDotBatched(GgmlType) { return nullptr; }
VecDotTileFn SimdVecDotTile(GgmlType) { return nullptr; }

#endif

}  // namespace bhasa::native::quant
