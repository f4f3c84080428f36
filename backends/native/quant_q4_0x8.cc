// Q4_0 matrices summed as ggml's repacked kernels sum them (see
// UsesInterleavedQ4_0 in ggml_types.h): each output's 32 products of a block
// become one exact integer, then acc = fma(float(sum), d_w * d_a, acc) block
// by block. Only the integer block sums use SIMD; the float step is the same
// single FMA per output and block in the scalar code (std::fma is exact) and
// in the tiles, so every target gives the same bits.
//
// The kernels put eight weight rows in the eight int32 lanes of one
// register. They transpose each block of the 8 rows as they load it, so that
// 32-bit lane r holds 4 consecutive nibble bytes of row r (value + 8);
// multiplied by the activation's matching 4 bytes broadcast to every lane
// (VPMADDUBSW + VPMADDWD on AVX2, VPDPBUSD on AVX-512 VNNI), the lanes sum
// each row on their own, and after the block's 8 steps they are the 8 row
// sums. The offset of the unsigned nibbles (-8 times the activation block's
// sum) is the same for every row, so it is computed once per call and
// activation. One transposed block serves every activation of the kernel,
// so prompts take the same kernels as generation steps, with more
// activations each: the earlier prompt tiles, which summed each row's lanes
// with an add tree per block and activation, were 30-40% slower on pp256.
// The weights are read in place (no repacked copy): each of the 8 rows is its
// own stream.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "backends/native/quant_blocks.h"
#include "backends/native/quant_impl.h"

// GCC only, as in quant_simd_x86.cc: the regions below are compiled for their
// instruction sets by `#pragma GCC target`.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define BHASA_X86_SIMD 1
#endif

namespace bhasa::native::quant {
namespace {

// Exact integer sum of one Q4_0 block's 32 products with a Q8_0 block.
int BlockSum(const BlockQ4_0& x, const BlockQ8_0& y) {
  int sum = 0;
  for (int j = 0; j < kQK4_0 / 2; ++j) {
    sum += ((x.qs[j] & 0x0F) - 8) * y.qs[j];
    sum += ((x.qs[j] >> 4) - 8) * y.qs[j + kQK4_0 / 2];
  }
  return sum;
}

void ScalarTile(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n, float* out,
                int64_t out_stride) {
  for (int t = 0; t < n_acts; ++t)
    for (int r = 0; r < n_rows; ++r) out[t * out_stride + r] = DotQ4_0x8(rows[r], acts[t], n);
}

}  // namespace

float DotQ4_0x8(const void* w, const void* a, int64_t n) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float acc = 0;
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    const float d = Fp16ToFp32(x[i].d) * Fp16ToFp32(y[i].d);
    acc = std::fma(static_cast<float>(BlockSum(x[i], y[i])), d, acc);
  }
  return acc;
}

#if BHASA_X86_SIMD
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
namespace {

inline __m256i Load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// Lane r of acc to out[r], r < n_out.
inline void StoreRows(__m256 acc, float* out, int n_out) {
  if (n_out == 8) return _mm256_storeu_ps(out, acc);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  std::copy(lanes, lanes + n_out, out);
}

// Block i of 8 rows, transposed: lane r of cols[k] holds nibble bytes
// 4k..4k+3 of row r (elements 4k..4k+3 low, 16+4k..16+4k+3 high).
inline void LoadColumns(const BlockQ4_0* const* x, int64_t i, __m256i* cols) {
  __m256i pair[4];  // rows r and r + 4, one per 128-bit half
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r)
    pair[r] = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(x[r + 4][i].qs),
                                  reinterpret_cast<const __m128i*>(x[r][i].qs));
  const __m256i lo01 = _mm256_unpacklo_epi32(pair[0], pair[1]), hi01 = _mm256_unpackhi_epi32(pair[0], pair[1]);
  const __m256i lo23 = _mm256_unpacklo_epi32(pair[2], pair[3]), hi23 = _mm256_unpackhi_epi32(pair[2], pair[3]);
  cols[0] = _mm256_unpacklo_epi64(lo01, lo23);
  cols[1] = _mm256_unpackhi_epi64(lo01, lo23);
  cols[2] = _mm256_unpacklo_epi64(hi01, hi23);
  cols[3] = _mm256_unpackhi_epi64(hi01, hi23);
}

// The 8 rows' unsigned nibbles of block i: lo[k] pairs with the activation's
// bytes 4k..4k+3, hi[k] with 16+4k..16+4k+3.
inline void LoadNibbleColumns(const BlockQ4_0* const* x, int64_t i, __m256i* lo, __m256i* hi) {
  const __m256i mask = _mm256_set1_epi8(0x0F);
  __m256i cols[4];
  LoadColumns(x, i, cols);
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    lo[k] = _mm256_and_si256(cols[k], mask);
    hi[k] = _mm256_and_si256(_mm256_srli_epi16(cols[k], 4), mask);
  }
}

// The 8 rows' fp16 block scales as floats, row r in lane r, from scalar
// loads packed in general registers (no lane inserts).
inline __m256 PackedRowScales(const BlockQ4_0* const* x, int64_t i) {
  const auto four = [&](int r) {
    return static_cast<int64_t>(x[r][i].d | uint64_t{x[r + 1][i].d} << 16 | uint64_t{x[r + 2][i].d} << 32 |
                                uint64_t{x[r + 3][i].d} << 48);
  };
  return _mm256_cvtph_ps(_mm_set_epi64x(four(4), four(0)));
}

// The 8 rows of a group are normally consecutive rows of one matrix, and so
// is the next group: while the kernel reads this group's 8 interleaved
// streams, it asks for the next group's bytes in order, at the rate it
// consumes its own (144 bytes a block; 3 lines a block leave no line out).
// Other row layouts only waste the hints. Measured against prefetching each
// row's stream ahead and against none (docs/engine.md).
inline void PrefetchNextGroup(const BlockQ4_0* const* x, int64_t i, int64_t nb) {
  // An address, not a pointer into x[0]'s array: it may lie past the matrix.
  const auto* p = reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(x[0]) +
                                                (nb + i) * 8 * int64_t{sizeof(BlockQ4_0)});
  _mm_prefetch(p, _MM_HINT_T0);
  _mm_prefetch(p + 64, _MM_HINT_T0);
  _mm_prefetch(p + 128, _MM_HINT_T0);
}

// Activation bytes 4k..4k+3 in every lane.
inline __m256i Broadcast4(const BlockQ8_0& y, int k) {
  int32_t v;
  std::memcpy(&v, y.qs + 4 * k, 4);
  return _mm256_set1_epi32(v);
}

// -8 * (the sum of block i's 32 activation bytes), for i < nb.
void NegOffsets(const BlockQ8_0* y, int64_t nb, int32_t* out) {
  const __m256i eights = _mm256_set1_epi8(8), ones16 = _mm256_set1_epi16(1);
  for (int64_t i = 0; i < nb; ++i) {
    const __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(eights, Load(y[i].qs)), ones16);
    __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4E));
    h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1));
    out[i] = -_mm_cvtsi128_si32(h);
  }
}

// 8 weight rows x T activations, one row per lane; neg[t][i] is block i's
// offset of activation t (NegOffsets); out[t * out_stride + r] for r < n_out.
template <int T>
void Gemv8(const BlockQ4_0* const* x, const BlockQ8_0* const* y, const int32_t* const* neg, int64_t nb, float* out,
           int64_t out_stride, int n_out) {
  const __m256i ones16 = _mm256_set1_epi16(1);
  __m256 acc[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    PrefetchNextGroup(x, i, nb);
    __m256i lo[4], hi[4];
    LoadNibbleColumns(x, i, lo, hi);
    const __m256 dw = PackedRowScales(x, i);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      // Each int16 lane adds 16 products of a nibble (<= 15) and a byte
      // (|b| <= 128): |sum| <= 30720, so neither VPMADDUBSW nor the adds wrap.
      __m256i pairs = _mm256_maddubs_epi16(lo[0], Broadcast4(y[t][i], 0));
      pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(hi[0], Broadcast4(y[t][i], 4)));
#pragma GCC unroll 4
      for (int k = 1; k < 4; ++k) {
        pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(lo[k], Broadcast4(y[t][i], k)));
        pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(hi[k], Broadcast4(y[t][i], 4 + k)));
      }
      const __m256i sums = _mm256_add_epi32(_mm256_madd_epi16(pairs, ones16), _mm256_set1_epi32(neg[t][i]));
      const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(_cvtsh_ss(y[t][i].d)));
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), d, acc[t]);
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) StoreRows(acc[t], out + t * out_stride, n_out);
}

}  // namespace
#pragma GCC pop_options

// AVX-512 VL + VNNI: VPDPBUSD does maddubs + madd in one step (no int16
// saturation to avoid). The helpers above (AVX2) inline into this region.
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")
namespace {

// Gemv8 with VPDPBUSD: two chains (low and high nibbles) so that a block's
// eight steps are not one dependency chain.
template <int T>
void Gemv8Vnni(const BlockQ4_0* const* x, const BlockQ8_0* const* y, const int32_t* const* neg, int64_t nb,
               float* out, int64_t out_stride, int n_out) {
  __m256 acc[T];
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    PrefetchNextGroup(x, i, nb);
    __m256i lo[4], hi[4];
    LoadNibbleColumns(x, i, lo, hi);
    const __m256 dw = PackedRowScales(x, i);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      __m256i low = _mm256_set1_epi32(neg[t][i]), high = _mm256_setzero_si256();
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        low = _mm256_dpbusd_epi32(low, lo[k], Broadcast4(y[t][i], k));
        high = _mm256_dpbusd_epi32(high, hi[k], Broadcast4(y[t][i], 4 + k));
      }
      const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(_cvtsh_ss(y[t][i].d)));
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(low, high)), d, acc[t]);
    }
  }
#pragma GCC unroll 8
  for (int t = 0; t < T; ++t) StoreRows(acc[t], out + t * out_stride, n_out);
}

}  // namespace
#pragma GCC pop_options

namespace {

using GemvKernel = void (*)(const BlockQ4_0* const*, const BlockQ8_0* const*, const int32_t* const*, int64_t, float*,
                            int64_t, int);

// The activations' offsets first, then groups of 8 rows x up to kActs
// activations; kernels[k - 1] takes k activations.
template <int kActs>
void WalkGemv(const GemvKernel* kernels, const void* const* rows, int n_rows, const void* const* acts, int n_acts,
              int64_t n, float* out, int64_t out_stride) {
  const int64_t nb = n / kQK4_0;
  thread_local std::vector<int32_t> offsets;
  offsets.resize(static_cast<size_t>(n_acts * nb));
  for (int t = 0; t < n_acts; ++t) NegOffsets(static_cast<const BlockQ8_0*>(acts[t]), nb, offsets.data() + t * nb);
  for (int t0 = 0; t0 < n_acts; t0 += kActs) {
    const int nt = std::min(kActs, n_acts - t0);
    const BlockQ8_0* y[kActs];
    const int32_t* neg[kActs];
    for (int t = 0; t < nt; ++t) {
      y[t] = static_cast<const BlockQ8_0*>(acts[t0 + t]);
      neg[t] = offsets.data() + (t0 + t) * nb;
    }
    for (int r0 = 0; r0 < n_rows; r0 += 8) {
      const int nr = std::min(8, n_rows - r0);
      const BlockQ4_0* x[8];
      for (int r = 0; r < 8; ++r) x[r] = static_cast<const BlockQ4_0*>(rows[r0 + (r < nr ? r : 0)]);
      kernels[nt - 1](x, y, neg, nb, out + t0 * out_stride + r0, out_stride, nr);
    }
  }
}

constexpr GemvKernel kAvx2Gemv[] = {Gemv8<1>, Gemv8<2>, Gemv8<3>, Gemv8<4>};
// Activations per kernel: AVX2 up to 4 (16 registers), AVX-512 VNNI up to 8
// (32 registers; 10 and 12 measured the same as 8 on pp256).
constexpr GemvKernel kVnniGemv[] = {Gemv8Vnni<1>, Gemv8Vnni<2>, Gemv8Vnni<3>, Gemv8Vnni<4>,
                                    Gemv8Vnni<5>, Gemv8Vnni<6>, Gemv8Vnni<7>, Gemv8Vnni<8>};

}  // namespace
#endif

void TileQ4_0x8(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n, float* out,
                int64_t out_stride) {
#if BHASA_X86_SIMD
  switch (CurrentTarget()) {
    case SimdTarget::kAmx:
      if (AmxTileQ4_0x8(rows, n_rows, acts, n_acts, n, out, out_stride)) return;
      [[fallthrough]];
    case SimdTarget::kAvx512Vnni:
      return WalkGemv<8>(kVnniGemv, rows, n_rows, acts, n_acts, n, out, out_stride);
    case SimdTarget::kAvx2:
      return WalkGemv<4>(kAvx2Gemv, rows, n_rows, acts, n_acts, n, out, out_stride);
    case SimdTarget::kScalar: break;
  }
#endif
  ScalarTile(rows, n_rows, acts, n_acts, n, out, out_stride);
}

}  // namespace bhasa::native::quant
