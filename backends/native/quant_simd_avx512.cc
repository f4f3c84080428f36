// AVX-512 (F, BW, VL, DQ, VNNI) tiles of batched dots, chosen at run time
// with cpuid. Each 512-bit register holds two independent 8-lane
// accumulators, each doing exactly what one 256-bit accumulator of the AVX2
// kernels in quant_simd_x86.cc does, so every output is bit-identical to
// VecDot on every target:
// - legacy types: the register's halves are two weight rows against one
//   activation (a one-row matmul then reads eight rows per pass); the
//   32-byte block products come from VPDPBUSD on the weights as unsigned
//   bytes (x + offset) starting from -offset * (the activation's 4-byte
//   sums), which gives the AVX2 code's int32 lane sums exactly;
// - K-quants: the halves are two sub-blocks of one super-block; their integer
//   sums are exact (VPDPWSSD adds the scaled 16-bit pair sums in any order),
//   so only their total enters the float step;
// - F16: the halves are the AVX2 code's two alternating accumulators.
//
// As in quant_simd_x86.cc, only functions with internal linkage are compiled
// for AVX-512, and every header is included before the pragma.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "backends/native/quant_blocks.h"
#include "backends/native/prefetch_rows.h"
#include "backends/native/quant_impl.h"

// GCC only, as in quant_simd_x86.cc: clang ignores `#pragma GCC target`, so a
// clang build (e.g. the fuzz targets) has no AVX-512 tiles.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
// GCC 12 warns inside its own AVX-512 intrinsics (their deliberately
// undefined vectors) once they are inlined here.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#define BHASA_X86_AVX512 1
#endif

namespace bhasa::native::quant {

#if BHASA_X86_AVX512
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")
namespace {

inline float Half(uint16_t h) { return _cvtsh_ss(h); }

inline __m256i Load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m512i Load512(const void* p) { return _mm512_loadu_si512(p); }
inline __m512i Join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }
inline __m512 Join(__m256 lo, __m256 hi) { return _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1); }

// The AVX2 kernels' sum of 8 float lanes, for one half of a register.
inline float HsumF32(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline __m256 LowHalf(__m512 v) { return _mm512_castps512_ps256(v); }
inline __m256 HighHalf(__m512 v) { return _mm512_extractf32x8_ps(v, 1); }

// 16 bytes of nibbles → 32 bytes: low nibbles first, then high nibbles.
inline __m256i Nibbles(const uint8_t* p) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(b, 4), b), _mm256_set1_epi8(0x0F));
}

// ---- Legacy types: pairs of rows x activations ----

// A legacy weight block as 32 unsigned bytes u, the value being u - kOffset.
struct OffsetQ8_0 {
  using Block = BlockQ8_0;
  static constexpr int kOffset = 128;
  static __m256i Unsigned(const Block& b) { return _mm256_xor_si256(Load(b.qs), _mm256_set1_epi8(char(0x80))); }
};
struct OffsetQ4_0 {
  using Block = BlockQ4_0;
  static constexpr int kOffset = 8;
  static __m256i Unsigned(const Block& b) { return Nibbles(b.qs); }
};
struct OffsetQ5_0 {
  using Block = BlockQ5_0;
  static constexpr int kOffset = 16;
  static __m256i Unsigned(const Block& b) {
    uint32_t qh;
    std::memcpy(&qh, b.qh, 4);
    // Bit k of qh → bit 4 of byte k.
    const __m256i hi = _mm256_maskz_mov_epi8(qh, _mm256_set1_epi8(0x10));
    return _mm256_or_si256(Nibbles(b.qs), hi);
  }
};

// R rows (as R/2 rounded-up register pairs; an odd last row is paired with
// itself and its copy dropped) x T Q8_0 activations. Per block and output:
// the AVX2 tile's d = Half(x.d) * Half(y.d), its int32 lane sums, one FMA.
template <class Off>
struct LegacyTile {
  template <int R, int T>
  struct Kernel {
    static void Run(const void* const* rows, const void* const* acts, int64_t n, float* out, int64_t out_stride) {
      using Block = typename Off::Block;
      constexpr int P = (R + 1) / 2;
      const Block* x[2 * P];
      const BlockQ8_0* y[T];
#pragma GCC unroll 16
      for (int r = 0; r < 2 * P; ++r) x[r] = static_cast<const Block*>(rows[std::min(r, R - 1)]);
#pragma GCC unroll 16
      for (int t = 0; t < T; ++t) y[t] = static_cast<const BlockQ8_0*>(acts[t]);
      __m512 acc[P][T];
#pragma GCC unroll 16
      for (int p = 0; p < P; ++p)
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) acc[p][t] = _mm512_setzero_ps();
      const __m512i offset = _mm512_set1_epi8(static_cast<char>(Off::kOffset));
      for (int64_t i = 0; i < n / kQK8_0; ++i) {
        if constexpr (T == 1) PrefetchNextPass<R>(x[0], i, n / kQK8_0);
        __m512i u[P];
        __m512 dx[P];
#pragma GCC unroll 16
        for (int p = 0; p < P; ++p) {
          const Block& a = x[2 * p][i];
          const Block& b = x[2 * p + 1][i];
          u[p] = Join(Off::Unsigned(a), Off::Unsigned(b));
          dx[p] = Join(_mm256_set1_ps(Half(a.d)), _mm256_set1_ps(Half(b.d)));
        }
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) {
          const __m512i q = _mm512_broadcast_i64x4(Load(y[t][i].qs));
          const __m512i neg = _mm512_sub_epi32(_mm512_setzero_si512(),
                                               _mm512_dpbusd_epi32(_mm512_setzero_si512(), offset, q));
          const __m512 dy = _mm512_set1_ps(Half(y[t][i].d));
#pragma GCC unroll 16
          for (int p = 0; p < P; ++p) {
            const __m512i sums = _mm512_dpbusd_epi32(neg, u[p], q);
            acc[p][t] = _mm512_fmadd_ps(_mm512_mul_ps(dx[p], dy), _mm512_cvtepi32_ps(sums), acc[p][t]);
          }
        }
      }
#pragma GCC unroll 16
      for (int p = 0; p < P; ++p)
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) {
          out[t * out_stride + 2 * p] = HsumF32(LowHalf(acc[p][t]));
          if (2 * p + 1 < R) out[t * out_stride + 2 * p + 1] = HsumF32(HighHalf(acc[p][t]));
        }
    }
  };
};

// ---- F16: the two alternating accumulators of DotHalf in one register ----

inline __m512 LoadF16x16(const uint16_t* p) { return _mm512_cvtph_ps(Load(p)); }
inline __m256 LoadF16x8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Weight rows as stored (f16) or converted once to f32 (F16PreparedTiles);
// both give the kernel the same float values.
struct HalfRows {
  using Elem = uint16_t;
  static __m512 Load16(const uint16_t* p) { return LoadF16x16(p); }
  static __m256 Load8(const uint16_t* p) { return LoadF16x8(p); }
  static float At(const uint16_t* p, int64_t k) { return Half(p[k]); }
};
struct FloatRows {
  using Elem = float;
  static __m512 Load16(const float* p) { return _mm512_loadu_ps(p); }
  static __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
  static float At(const float* p, int64_t k) { return p[k]; }
};

template <class W>
struct F16TileOf {
  template <int R, int T>
  struct Kernel {
    static void Run(const void* const* rows, const void* const* acts, int64_t n, float* out, int64_t out_stride) {
      const typename W::Elem* x[R];
      const uint16_t* y[T];
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) x[r] = static_cast<const typename W::Elem*>(rows[r]);
#pragma GCC unroll 16
      for (int t = 0; t < T; ++t) y[t] = static_cast<const uint16_t*>(acts[t]);
      __m512 s[R][T];  // low half: DotHalf's s0, high half: its s1
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) s[r][t] = _mm512_setzero_ps();
      int64_t i = 0;
      for (; i + 16 <= n; i += 16) {
        __m512 w[R];
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) w[r] = W::Load16(x[r] + i);
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) {
          const __m512 a = LoadF16x16(y[t] + i);
#pragma GCC unroll 16
          for (int r = 0; r < R; ++r) s[r][t] = _mm512_fmadd_ps(w[r], a, s[r][t]);
        }
      }
      const bool chunk = i + 8 <= n;
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
        for (int t = 0; t < T; ++t) {
          __m256 s0 = LowHalf(s[r][t]);
          if (chunk) s0 = _mm256_fmadd_ps(W::Load8(x[r] + i), LoadF16x8(y[t] + i), s0);
          float sum = HsumF32(_mm256_add_ps(s0, HighHalf(s[r][t])));
          for (int64_t k = chunk ? i + 8 : i; k < n; ++k) sum += W::At(x[r], k) * Half(y[t][k]);
          out[t * out_stride + r] = sum;
        }
      }
    }
  };
};
template <int R, int T>
using F16Tile = F16TileOf<HalfRows>::Kernel<R, T>;

// ---- K-quants: R rows x T <= 8 activations ----

// Lane t of the result = the sum of the 8 int32 lanes of h[t] (exact).
inline __m256i HsumI32x8(const __m256i* h) {
  const __m256i h01 = _mm256_hadd_epi32(h[0], h[1]), h23 = _mm256_hadd_epi32(h[2], h[3]);
  const __m256i h45 = _mm256_hadd_epi32(h[4], h[5]), h67 = _mm256_hadd_epi32(h[6], h[7]);
  const __m256i h03 = _mm256_hadd_epi32(h01, h23), h47 = _mm256_hadd_epi32(h45, h67);
  return _mm256_add_epi32(_mm256_permute2x128_si256(h03, h47, 0x20), _mm256_permute2x128_si256(h03, h47, 0x31));
}
// Lane t of the result = the sum of the 16 int32 lanes of v[t] (exact).
inline __m256i HsumI32x8(const __m512i* v) {
  __m256i h[8];
#pragma GCC unroll 8
  for (int t = 0; t < 8; ++t) h[t] = _mm256_add_epi32(_mm512_castsi512_si256(v[t]), _mm512_extracti64x4_epi64(v[t], 1));
  return HsumI32x8(h);
}

template <int T>
inline __m256 ActScales(const BlockQ8_K* const* y, int64_t i) {
  float d[8];
#pragma GCC unroll 16
  for (int t = 0; t < 8; ++t) d[t] = t < T ? y[t][i].d : 0.0f;
  return _mm256_setr_ps(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
}

// Word k of the result = word base + (k >> shift) of v.
inline __m512i SpreadWords(__m512i v, int base, int shift) {
  const __m512i iota = _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,
                                        12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i idx = _mm512_add_epi16(_mm512_set1_epi16(static_cast<int16_t>(base)), _mm512_srli_epi16(iota, shift));
  return _mm512_permutexvar_epi16(idx, v);
}

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
    const __m512i m4 = _mm512_set1_epi8(0x0F);
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
        const __m512i sc16 = _mm512_cvtepu8_epi16(_mm256_castsi128_si256(_mm_set_epi32(0, 0, static_cast<int>(u[1]),
                                                                                        static_cast<int>(u[0]))));
        __m512i acc[8];
#pragma GCC unroll 16
        for (int t = 0; t < 8; ++t) acc[t] = _mm512_setzero_si512();
#pragma GCC unroll 16
        for (int j = 0; j < 4; ++j) {
          // Low nibbles (sub-block 2j) in the low half, high nibbles (2j + 1) in the high half.
          const __m512i bytes = _mm512_broadcast_i64x4(Load(x.qs + 32 * j));
          const __m512i q = _mm512_and_si512(_mm512_mask_srli_epi16(bytes, 0xFFFF0000u, bytes, 4), m4);
          const __m512i s = SpreadWords(sc16, 2 * j, 4);
#pragma GCC unroll 16
          for (int t = 0; t < T; ++t)
            acc[t] = _mm512_dpwssd_epi32(acc[t], _mm512_maddubs_epi16(q, Load512(y[t][i].qs + 64 * j)), s);
        }
        __m256i msum[8];
#pragma GCC unroll 16
        for (int t = 0; t < 8; ++t)
          msum[t] = t < T ? _mm256_madd_epi16(Load(y[t][i].bsums), mins16) : _mm256_setzero_si256();
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
    const __m512i m4 = _mm512_set1_epi8(0x0F), m2 = _mm512_set1_epi8(0x30);
    // Shifts of the high bits per half register: <<4 | <<2 for quarters 0, 1;
    // >>0 | >>2 for quarters 2, 3.
    const __m512i shl = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i shr = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const BlockQ6_K* const first = static_cast<const BlockQ6_K*>(rows[0]);
    for (int64_t i = 0; i < n / kQK_K; ++i) {
      if constexpr (T == 1) PrefetchNextPass<R>(first, i, n / kQK_K);
      const __m256 yd = ActScales<T>(y, i);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const BlockQ6_K& x = static_cast<const BlockQ6_K*>(rows[r])[i];
        const __m256i sc16y = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.scales)));
        const __m512i sc16 = _mm512_zextsi256_si512(sc16y);
        __m512i acc[8];
#pragma GCC unroll 16
        for (int t = 0; t < 8; ++t)  // -32 * sum(scale * bsum), exact
          acc[t] = t < T ? _mm512_zextsi256_si512(_mm256_sub_epi32(
                               _mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(Load(y[t][i].bsums), sc16y), 5)))
                         : _mm512_setzero_si512();
#pragma GCC unroll 16
        for (int half = 0; half < 2; ++half) {
          const __m512i l = Load512(x.ql + 64 * half);
          const __m512i h = _mm512_broadcast_i64x4(Load(x.qh + 32 * half));
          const __m512i q[2] = {
              _mm512_or_si512(_mm512_and_si512(l, m4), _mm512_and_si512(_mm512_sllv_epi16(h, shl), m2)),
              _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4),
                              _mm512_and_si512(_mm512_srlv_epi16(h, shr), m2)),
          };
#pragma GCC unroll 16
          for (int k = 0; k < 2; ++k) {
            // Quarters of 16 bytes: sub-blocks 8 * half + 4 * k + 0..3.
            const __m512i s = SpreadWords(sc16, 8 * half + 4 * k, 3);
#pragma GCC unroll 16
            for (int t = 0; t < T; ++t) {
              const __m512i p = _mm512_maddubs_epi16(q[k], Load512(y[t][i].qs + 128 * half + 64 * k));
              acc[t] = _mm512_dpwssd_epi32(acc[t], p, s);
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

// ---- Walking a tile in kernel-sized pieces ----

using TileKernel = void (*)(const void* const* rows, const void* const* acts, int64_t n, float* out,
                            int64_t out_stride);

template <template <int, int> class Kernel, int Rmax, int Tmax, int... I>
constexpr std::array<TileKernel, sizeof...(I)> TileTable(std::integer_sequence<int, I...>) {
  return {&Kernel<I / Tmax + 1, I % Tmax + 1>::Run...};
}

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

// One activation (a generation step) streams more rows per pass than a
// prompt, whose tiles share each weight block with several activations.
template <template <int, int> class Kernel, int Rmax, int Tmax, int RmaxOne>
void RunTilesOrRow(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n, float* out,
                   int64_t out_stride) {
  if (n_acts == 1) return RunTiles<Kernel, RmaxOne, 1>(rows, n_rows, acts, 1, n, out, out_stride);
  RunTiles<Kernel, Rmax, Tmax>(rows, n_rows, acts, n_acts, n, out, out_stride);
}

// Kernel sizes (rows x activations) measured with bench/vecdot_bench
// BM_Block and bench/matmul_bench on a 2-core Zen 5.
template <class Off>
void LegacyTiles(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n, float* out,
                 int64_t out_stride) {
  RunTilesOrRow<LegacyTile<Off>::template Kernel, 4, 4, 8>(rows, n_rows, acts, n_acts, n, out, out_stride);
}

// ---- Legacy types from blocks prepared once per tile call ----
//
// The kernels above turn each weight block into unsigned bytes and a scale
// vector, and each activation block into its offset sums and float scale,
// once per pass of R rows x T activations. Over a whole tile call (many
// passes) that work repeats; here it is done once per call into per-thread
// buffers, so the inner loop is the single dot's own four operations
// (VPDPBUSD, the scale product, the int-to-float conversion, the FMA), its
// other operands plain loads. Same operations on the same values: the same
// bits.

struct alignas(64) PreparedPair {  // block i of two weight rows
  uint8_t u[64];  // their bytes as unsigned (x + offset), row a first
  float dx[16];   // their scales, 8 copies of row a's, then of row b's
};
struct alignas(32) PreparedAct {  // block i of one Q8_0 activation
  int32_t neg[8];  // -offset * (the 4-byte sums of q)
};

// P pairs of rows (n_rows of them valid, 2P or 2P - 1) x T activations.
template <int P, int T>
void PreparedLegacyPass(const PreparedPair* w, const PreparedAct* a, const float* dy, const BlockQ8_0* const* y,
                        int64_t nb, int n_rows, float* out, int64_t out_stride) {
  __m512 acc[P][T];
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) acc[p][t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) {
      const __m512i q = _mm512_broadcast_i64x4(Load(y[t][i].qs));
      const __m512i neg = _mm512_broadcast_i64x4(Load(a[t * nb + i].neg));
      const __m512 yd = _mm512_set1_ps(dy[t * nb + i]);
#pragma GCC unroll 16
      for (int p = 0; p < P; ++p) {
        const PreparedPair& wp = w[p * nb + i];
        const __m512i sums = _mm512_dpbusd_epi32(neg, Load512(wp.u), q);
        acc[p][t] = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_loadu_ps(wp.dx), yd), _mm512_cvtepi32_ps(sums), acc[p][t]);
      }
    }
  }
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 16
    for (int t = 0; t < T; ++t) {
      out[t * out_stride + 2 * p] = HsumF32(LowHalf(acc[p][t]));
      if (2 * p + 1 < n_rows) out[t * out_stride + 2 * p + 1] = HsumF32(HighHalf(acc[p][t]));
    }
}

using PreparedPassFn = void (*)(const PreparedPair* w, const PreparedAct* a, const float* dy,
                                const BlockQ8_0* const* y, int64_t nb, int n_rows, float* out, int64_t out_stride);

template <int Pmax, int Tmax, int... I>
constexpr std::array<PreparedPassFn, sizeof...(I)> PreparedPassTable(std::integer_sequence<int, I...>) {
  return {&PreparedLegacyPass<I / Tmax + 1, I % Tmax + 1>...};
}

template <class Off>
void PrepareRows(const void* const* rows, int n_rows, int64_t nb, PreparedPair* w) {
  using Block = typename Off::Block;
  for (int p = 0; 2 * p < n_rows; ++p) {
    const Block* a = static_cast<const Block*>(rows[2 * p]);
    const Block* b = static_cast<const Block*>(rows[std::min(2 * p + 1, n_rows - 1)]);
    for (int64_t i = 0; i < nb; ++i) {
      _mm512_storeu_si512(w[p * nb + i].u, Join(Off::Unsigned(a[i]), Off::Unsigned(b[i])));
      _mm512_storeu_ps(w[p * nb + i].dx, Join(_mm256_set1_ps(Half(a[i].d)), _mm256_set1_ps(Half(b[i].d))));
    }
  }
}

template <class Off>
void PrepareActs(const BlockQ8_0* const* y, int n_acts, int64_t nb, PreparedAct* a, float* dy) {
  const __m256i offset = _mm256_set1_epi8(static_cast<char>(Off::kOffset));
  for (int t = 0; t < n_acts; ++t)
    for (int64_t i = 0; i < nb; ++i) {
      const __m256i sums = _mm256_dpbusd_epi32(_mm256_setzero_si256(), offset, Load(y[t][i].qs));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(a[t * nb + i].neg), _mm256_sub_epi32(_mm256_setzero_si256(), sums));
      dy[t * nb + i] = Half(y[t][i].d);
    }
}

// Passes of up to 2 * Pmax rows x Tmax activations over the prepared blocks.
// Below kMinActs activations the preparation would not pay for itself.
template <class Off, int Pmax, int Tmax>
void PreparedLegacyTiles(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n,
                         float* out, int64_t out_stride) {
  constexpr int kMinActs = 4;
  if (n_acts < kMinActs) return LegacyTiles<Off>(rows, n_rows, acts, n_acts, n, out, out_stride);
  static constexpr auto kTable = PreparedPassTable<Pmax, Tmax>(std::make_integer_sequence<int, Pmax * Tmax>{});
  const int64_t nb = n / kQK8_0;
  const int n_pairs = (n_rows + 1) / 2;
  thread_local std::vector<PreparedPair> w;
  thread_local std::vector<PreparedAct> a;
  thread_local std::vector<float> dy;
  w.resize(static_cast<size_t>(n_pairs * nb));
  a.resize(static_cast<size_t>(n_acts * nb));
  dy.resize(static_cast<size_t>(n_acts * nb));
  const auto* y = reinterpret_cast<const BlockQ8_0* const*>(acts);
  PrepareRows<Off>(rows, n_rows, nb, w.data());
  PrepareActs<Off>(y, n_acts, nb, a.data(), dy.data());
  for (int t0 = 0; t0 < n_acts; t0 += Tmax) {
    const int nt = std::min(Tmax, n_acts - t0);
    for (int p0 = 0; p0 < n_pairs; p0 += Pmax) {
      const int np = std::min(Pmax, n_pairs - p0);
      kTable[(np - 1) * Tmax + nt - 1](w.data() + p0 * nb, a.data() + t0 * nb, dy.data() + t0 * nb, y + t0, nb,
                                       std::min(2 * np, n_rows - 2 * p0), out + t0 * out_stride + 2 * p0, out_stride);
    }
  }
}

// F16 with two or more activations: each group of kF16Rows weight rows is
// converted once to f32 (kF16Rows x n floats per thread, in L1) and
// every activation then goes past it, so a pass converts only its
// activations.
constexpr int kF16Rows = 6, kF16Acts = 4;
constexpr int64_t kF16MaxPreparedBytes = 48 << 10;

void F16PreparedTiles(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n,
                      float* out, int64_t out_stride) {
  if (n_acts == 1) return RunTiles<F16Tile, 4, 1>(rows, n_rows, acts, 1, n, out, out_stride);
  // Past L1, re-reading f32 rows from L2 costs more than converting f16 ones
  // (measured: 2048 columns gain, 8192 lose).
  if (kF16Rows * n * static_cast<int64_t>(sizeof(float)) > kF16MaxPreparedBytes)
    return RunTiles<F16Tile, kF16Rows, kF16Acts>(rows, n_rows, acts, n_acts, n, out, out_stride);
  thread_local std::vector<float> buf;
  buf.resize(static_cast<size_t>(kF16Rows * n));
  const void* wf[kF16Rows];
  for (int r0 = 0; r0 < n_rows; r0 += kF16Rows) {
    const int nr = std::min(kF16Rows, n_rows - r0);
    for (int r = 0; r < nr; ++r) {
      const auto* x = static_cast<const uint16_t*>(rows[r0 + r]);
      float* f = buf.data() + r * n;
      int64_t i = 0;
      for (; i + 16 <= n; i += 16) _mm512_storeu_ps(f + i, LoadF16x16(x + i));
      for (; i < n; ++i) f[i] = Half(x[i]);
      wf[r] = f;
    }
    RunTiles<F16TileOf<FloatRows>::Kernel, kF16Rows, kF16Acts>(wf, nr, acts, n_acts, n, out + r0, out_stride);
  }
}

}  // namespace
#pragma GCC pop_options

bool HasAvx512Vnni() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                         __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("fma") &&
                         __builtin_cpu_supports("f16c");
  return ok;
}

VecDotTileFn Avx512VecDotTile(GgmlType t) {
  if (!HasAvx512Vnni()) return nullptr;
  switch (t) {
    case GgmlType::F16: return F16PreparedTiles;
    case GgmlType::Q8_0: return PreparedLegacyTiles<OffsetQ8_0, 4, 4>;
    case GgmlType::Q4_0: return LegacyTiles<OffsetQ4_0>;
    case GgmlType::Q5_0: return LegacyTiles<OffsetQ5_0>;
    case GgmlType::Q4_K: return RunTilesOrRow<Q4KTile, 2, 8, 4>;
    case GgmlType::Q6_K: return RunTilesOrRow<Q6KTile, 2, 8, 4>;
    default: return nullptr;
  }
}

#else

bool HasAvx512Vnni() { return false; }
VecDotTileFn Avx512VecDotTile(GgmlType) { return nullptr; }

#endif

}  // namespace bhasa::native::quant
