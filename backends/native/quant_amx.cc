// AMX-INT8 tiles for the Q4_0 sum of ggml's repacked kernels (DotQ4_0x8 in
// quant_q4_0x8.cc) and for Q4_K and Q6_K (below). One TDPBSSD multiplies 16
// activations by 16 weight rows over K = 32 bytes, one block, so each int32
// of its result is an output's exact integer block sum; the float step stays
// the scalar one, in block order: acc = fma(float(sum), d_w * d_a, acc). So
// the tiles give the bits of DotQ4_0x8, and of every other target.
//
// Layout: the activations are read in place (Q8_0 rows at one stride: the A
// tile's 16 rows are 16 tokens' block qs). The weights are repacked once per
// call into per-thread scratch: each block of 16 rows as signed bytes
// (nibble - 8) in the B tile's order (4 consecutive k of one row per int32,
// 16 rows per 64-byte tile row), plus the 16 rows' scales as floats. No tile
// state outlives a call (ldtilecfg at its start, tilerelease at its end), so
// a oneTBB worker carries none between matmuls and the kernel's context
// switches save no tile data outside them.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "backends/native/quant_blocks.h"
#include "backends/native/quant_impl.h"

// GCC only, as in quant_simd_x86.cc; Linux only, for the tile data permission.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
// GCC 12 warns inside its own AVX-512 intrinsics (their deliberately
// undefined vectors) once they are inlined here, as in quant_simd_avx512.cc.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#define BHASA_X86_AMX 1
#endif

namespace bhasa::native::quant {

#if BHASA_X86_AMX
namespace {

// Linux (5.16+) enables the 8 KiB of tile data per process on request.
constexpr int kArchReqXcompPerm = 0x1023;
constexpr int kXfeatureXtileData = 18;

bool CpuHasAmxInt8() {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool tile = (d >> 24) & 1, int8 = (d >> 25) & 1;
  return tile && int8;
}

}  // namespace

bool HasAmx() {
  static const bool ok = HasAvx512Vnni() && CpuHasAmxInt8() &&
                         syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtileData) == 0;
  return ok;
}

#pragma GCC push_options
#pragma GCC target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")
namespace {

constexpr int kTile = 16;                                   // tokens (C rows) and weight rows (C columns)
constexpr int64_t kPackedBlockBytes = kTile * kQK4_0;       // one block of 16 rows in B tile order
constexpr int kUnroll = 4;                                  // blocks in flight, one C tile each

// Palette 1: tmm0-3 the C tiles of 4 consecutive blocks (16 x 16 int32),
// tmm4-5 A (16 tokens x 32 bytes), tmm6-7 B (8 rows of 16 x 4 bytes).
struct alignas(64) TileConfig {
  uint8_t palette;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};
constexpr TileConfig MakeTileConfig() {
  TileConfig c{};
  c.palette = 1;
  for (int t = 0; t < 4; ++t) c.colsb[t] = kTile * 4, c.rows[t] = kTile;
  for (int t = 4; t < 6; ++t) c.colsb[t] = kQK4_0, c.rows[t] = kTile;
  for (int t = 6; t < 8; ++t) c.colsb[t] = kTile * 4, c.rows[t] = kQK4_0 / 4;
  return c;
}
alignas(64) constexpr TileConfig kTileConfig = MakeTileConfig();

// Loads a tile configuration for the duration of one call.
class TileSession {
 public:
  explicit TileSession(const TileConfig& config) { _tile_loadconfig(&config); }
  ~TileSession() { _tile_release(); }
  TileSession(const TileSession&) = delete;
  TileSession& operator=(const TileSession&) = delete;
};

// One Q4_0 block's 32 values as signed bytes: the low nibbles, then the high.
inline __m256i SignedValues(const BlockQ4_0& b) {
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
  const __m256i nibbles = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0F));
  return _mm256_sub_epi8(nibbles, _mm256_set1_epi8(8));
}

// Rows [16 g, 16 g + 16) of the call, block i → packed + (g * nb + i) * 512
// and scales + (g * nb + i) * 16. Rows past n_rows are zeros.
void PackRows(const void* const* rows, int n_rows, int64_t nb, int8_t* packed, float* scales) {
  const __m512i row_dwords = _mm512_setr_epi32(0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120);
  for (int g = 0; g * kTile < n_rows; ++g) {
    const BlockQ4_0* x[kTile];
    const int nr = std::min(kTile, n_rows - g * kTile);
    for (int r = 0; r < nr; ++r) x[r] = static_cast<const BlockQ4_0*>(rows[g * kTile + r]);
    for (int64_t i = 0; i < nb; ++i) {
      alignas(64) int32_t values[kTile][kQK4_0 / 4] = {};  // row r's 32 bytes
      float* d = scales + (g * nb + i) * kTile;
      for (int r = 0; r < kTile; ++r) {
        if (r < nr) _mm256_store_si256(reinterpret_cast<__m256i*>(values[r]), SignedValues(x[r][i]));
        d[r] = r < nr ? _cvtsh_ss(x[r][i].d) : 0.0f;
      }
      // B tile row k4: the 16 rows' bytes 4 k4 .. 4 k4 + 3, row after row.
      int8_t* dst = packed + (g * nb + i) * kPackedBlockBytes;
      for (int k4 = 0; k4 < kQK4_0 / 4; ++k4)
        _mm512_store_si512(dst + k4 * 64,
                           _mm512_i32gather_epi32(_mm512_add_epi32(row_dwords, _mm512_set1_epi32(k4)), values, 4));
    }
  }
}

// scales[i * 16 + t] = token t's scale of block i, for 16 tokens at a stride.
void ActivationScales(const uint8_t* acts, int64_t stride, int64_t nb, float* scales) {
  const __m512i offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                             _mm512_set1_epi32(static_cast<int>(stride)));
  for (int64_t i = 0; i < nb; ++i) {
    const __m512i words = _mm512_i32gather_epi32(offsets, acts + i * sizeof(BlockQ8_0), 1);
    _mm512_store_ps(scales + i * kTile, _mm512_cvtph_ps(_mm512_cvtepi32_epi16(words)));
  }
}

// acc[t] lane r += one block's sums c[t][r] times d_w[r] * d_a[t], as DotQ4_0x8.
inline void AddBlock(const int32_t (*c)[kTile], const float* dw, const float* da, __m512* acc) {
  const __m512 w = _mm512_load_ps(dw);
#pragma GCC unroll 16
  for (int t = 0; t < kTile; ++t) {
    const __m512 d = _mm512_mul_ps(w, _mm512_set1_ps(da[t]));
    acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(c[t])), d, acc[t]);
  }
}

// 16 tokens (qs at a, one block every 34 bytes, tokens at a stride) x one
// packed group of 16 rows; out[t * out_stride + r] for r < n_out.
void Tile16x16(const uint8_t* a, int64_t stride, const int8_t* packed, const float* dw, const float* da, int64_t nb,
               float* out, int64_t out_stride, int n_out) {
  constexpr int64_t kAct = sizeof(BlockQ8_0);
  __m512 acc[kTile];
#pragma GCC unroll 16
  for (int t = 0; t < kTile; ++t) acc[t] = _mm512_setzero_ps();
  alignas(64) int32_t c[kUnroll][kTile][kTile];
  int64_t i = 0;
  for (; i + kUnroll <= nb; i += kUnroll) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    _tile_loadd(4, a + i * kAct, stride);
    _tile_loadd(6, packed + i * kPackedBlockBytes, 64);
    _tile_dpbssd(0, 4, 6);
    _tile_loadd(5, a + (i + 1) * kAct, stride);
    _tile_loadd(7, packed + (i + 1) * kPackedBlockBytes, 64);
    _tile_dpbssd(1, 5, 7);
    _tile_loadd(4, a + (i + 2) * kAct, stride);
    _tile_loadd(6, packed + (i + 2) * kPackedBlockBytes, 64);
    _tile_dpbssd(2, 4, 6);
    _tile_loadd(5, a + (i + 3) * kAct, stride);
    _tile_loadd(7, packed + (i + 3) * kPackedBlockBytes, 64);
    _tile_dpbssd(3, 5, 7);
    _tile_stored(0, c[0], 64);
    _tile_stored(1, c[1], 64);
    _tile_stored(2, c[2], 64);
    _tile_stored(3, c[3], 64);
    for (int u = 0; u < kUnroll; ++u) AddBlock(c[u], dw + (i + u) * kTile, da + (i + u) * kTile, acc);
  }
  for (; i < nb; ++i) {
    _tile_zero(0);
    _tile_loadd(4, a + i * kAct, stride);
    _tile_loadd(6, packed + i * kPackedBlockBytes, 64);
    _tile_dpbssd(0, 4, 6);
    _tile_stored(0, c[0], 64);
    AddBlock(c[0], dw + i * kTile, da + i * kTile, acc);
  }
  const __mmask16 mask = static_cast<__mmask16>((1u << n_out) - 1);
#pragma GCC unroll 16
  for (int t = 0; t < kTile; ++t) _mm512_mask_storeu_ps(out + t * out_stride, mask, acc[t]);
}

// Per-thread scratch in cache lines, grown to the largest call and kept.
struct alignas(64) Line {
  uint8_t bytes[64];
};
template <class T>
T* Grow(std::vector<Line>& lines, int64_t count) {
  lines.resize((count * sizeof(T) + sizeof(Line) - 1) / sizeof(Line));
  return reinterpret_cast<T*>(lines.data());
}
struct Scratch {
  std::vector<Line> packed, row_scales, act_scales;
};

void RunAmx(const void* const* rows, int n_rows, const uint8_t* acts, int64_t stride, int n_acts, int64_t n,
            float* out, int64_t out_stride) {
  const int64_t nb = n / kQK4_0, groups = (n_rows + kTile - 1) / kTile;
  thread_local Scratch s;
  int8_t* packed = Grow<int8_t>(s.packed, groups * nb * kPackedBlockBytes);
  float* row_scales = Grow<float>(s.row_scales, groups * nb * kTile);
  float* act_scales = Grow<float>(s.act_scales, nb * kTile);
  PackRows(rows, n_rows, nb, packed, row_scales);
  // The tile loads below are asm that reads the packed rows behind the
  // compiler's back: keep the stores above before them.
  __asm__ __volatile__("" ::: "memory");
  TileSession session(kTileConfig);
  for (int t0 = 0; t0 < n_acts; t0 += kTile) {
    // A short last group overlaps the one before: it recomputes (the same
    // bits for) a few tokens rather than reading past the last one.
    const int first = std::min(t0, n_acts - kTile);
    const uint8_t* a = acts + first * stride;
    ActivationScales(a, stride, nb, act_scales);
    for (int64_t g = 0; g < groups; ++g)
      Tile16x16(a + offsetof(BlockQ8_0, qs), stride, packed + g * nb * kPackedBlockBytes, row_scales + g * nb * kTile,
                act_scales, nb,
                out + first * out_stride + g * kTile, out_stride,
                static_cast<int>(std::min<int64_t>(kTile, n_rows - g * kTile)));
  }
}

// ---- K-quants: the integer total of a super-block, then the float step ----
//
// DotQ45_K's and DotQ6_K's isum = sum over sub-blocks s of sc_s * (q . y over
// s). Each product sc_s * q is split into bytes as 2^shift * hi + lo (Q4_K:
// sc <= 63, q in 0..15, shift 5; Q6_K: sc in -128..127, q in -32..31, shift
// 6; hi and lo fit int8 either way), so two tile products over the whole
// super-block give isum = 2^shift * (hi . y) + (lo . y) exactly, with no
// per-sub-block sums to scale. For Q4_K a third product, with each
// sub-block's min in place of its values, gives summs = sum of m_s * (the
// sub-block's y sum).

constexpr int kKSteps = kQK_K / 64;  // K = 64 bytes per tile product

// One super-block of 16 rows, packed as B tiles: per K step, 16 tile rows of
// 16 weight rows x 4 bytes.
struct alignas(64) PackedK {
  int8_t hi[kKSteps][kTile][64];
  int8_t lo[kKSteps][kTile][64];
  int8_t mins[kKSteps][kTile][64];  // Q4_K only
  float d[kTile], dmin[kTile];
};

// A super-block of 16 rows unpacked: values in k order, scales and mins per
// sub-block.
template <int kSubBlocks>
struct UnpackedK {
  alignas(64) int8_t q[kTile][kQK_K] = {};
  alignas(64) int32_t sc[kSubBlocks][kTile] = {}, mn[kSubBlocks][kTile] = {};
};

struct Q4KFormat {
  using Block = BlockQ4_K;
  static constexpr int kSubBlocks = 8, kShift = 5;
  static constexpr bool kMins = true;
  static void Unpack(const Block& x, int r, UnpackedK<kSubBlocks>& u, PackedK& p) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    for (int j = 0; j < kQK_K / 64; ++j) {
      const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * j));
      _mm256_store_si256(reinterpret_cast<__m256i*>(u.q[r] + 64 * j), _mm256_and_si256(b, m4));
      _mm256_store_si256(reinterpret_cast<__m256i*>(u.q[r] + 64 * j + 32),
                         _mm256_and_si256(_mm256_srli_epi16(b, 4), m4));
    }
    for (int s = 0; s < kSubBlocks; ++s) {
      uint8_t scale, min;
      ScaleMinK4(s, x.scales, &scale, &min);
      u.sc[s][r] = scale;
      u.mn[s][r] = min;
    }
    p.d[r] = _cvtsh_ss(x.d);
    p.dmin[r] = _cvtsh_ss(x.dmin);
  }
};

struct Q6KFormat {
  using Block = BlockQ6_K;
  static constexpr int kSubBlocks = 16, kShift = 6;
  static constexpr bool kMins = false;
  // UnpackQ6K, 32 values at a time.
  static void Unpack(const Block& x, int r, UnpackedK<kSubBlocks>& u, PackedK& p) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x30), off = _mm256_set1_epi8(32);
    for (int n = 0; n < kQK_K; n += 128) {
      const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.ql + n / 2));
      const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.ql + n / 2 + 32));
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qh + n / 4));
      // Bits 2k, 2k + 1 of qh → bits 4, 5.
      const __m256i h0 = _mm256_and_si256(_mm256_slli_epi16(qh, 4), m2);
      const __m256i h1 = _mm256_and_si256(_mm256_slli_epi16(qh, 2), m2);
      const __m256i h2 = _mm256_and_si256(qh, m2);
      const __m256i h3 = _mm256_and_si256(_mm256_srli_epi16(qh, 2), m2);
      const __m256i v[4] = {_mm256_or_si256(_mm256_and_si256(ql0, m4), h0),
                            _mm256_or_si256(_mm256_and_si256(ql1, m4), h1),
                            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), h2),
                            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4), h3)};
      for (int k = 0; k < 4; ++k)
        _mm256_store_si256(reinterpret_cast<__m256i*>(u.q[r] + n + 32 * k), _mm256_sub_epi8(v[k], off));
    }
    for (int s = 0; s < kSubBlocks; ++s) u.sc[s][r] = x.scales[s];
    p.d[r] = _cvtsh_ss(x.d);
    p.dmin[r] = 0.0f;
  }
};

// The products sc * q split into hi and lo bytes (and the mins) in B tile order.
template <class F>
void ToTiles(const UnpackedK<F::kSubBlocks>& u, PackedK& p) {
  constexpr int kSubLen = kQK_K / F::kSubBlocks;
  const __m512i row_dwords = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                                _mm512_set1_epi32(kQK_K / 4));
  const __m512i repeat4 = _mm512_set1_epi32(0x01010101), byte = _mm512_set1_epi32(0xFF);
  const __m512i low = _mm512_set1_epi16((1 << F::kShift) - 1);
  for (int ks = 0; ks < kKSteps; ++ks) {
    for (int k4 = 0; k4 < kTile; ++k4) {
      const int sub = (64 * ks + 4 * k4) / kSubLen;
      // Each row's scale in its 4 bytes of the tile row.
      const __m512i scales = _mm512_mullo_epi32(_mm512_and_si512(_mm512_load_si512(u.sc[sub]), byte), repeat4);
      const __m512i v = _mm512_i32gather_epi32(_mm512_add_epi32(row_dwords, _mm512_set1_epi32(16 * ks + k4)), u.q, 4);
      __m256i hi[2], lo[2];
      for (int h = 0; h < 2; ++h) {
        const __m256i vh = h ? _mm512_extracti64x4_epi64(v, 1) : _mm512_castsi512_si256(v);
        const __m256i sh = h ? _mm512_extracti64x4_epi64(scales, 1) : _mm512_castsi512_si256(scales);
        const __m512i prod = _mm512_mullo_epi16(_mm512_cvtepi8_epi16(vh), _mm512_cvtepi8_epi16(sh));
        hi[h] = _mm512_cvtepi16_epi8(_mm512_srai_epi16(prod, F::kShift));
        lo[h] = _mm512_cvtepi16_epi8(_mm512_and_si512(prod, low));
      }
      _mm512_store_si512(p.hi[ks][k4], _mm512_inserti64x4(_mm512_castsi256_si512(hi[0]), hi[1], 1));
      _mm512_store_si512(p.lo[ks][k4], _mm512_inserti64x4(_mm512_castsi256_si512(lo[0]), lo[1], 1));
      if constexpr (F::kMins)
        _mm512_store_si512(p.mins[ks][k4], _mm512_mullo_epi32(_mm512_load_si512(u.mn[sub]), repeat4));
    }
  }
}

template <class F>
void PackRowsK(const void* const* rows, int n_rows, int64_t nb, PackedK* packed) {
  for (int g = 0; g * kTile < n_rows; ++g) {
    const int nr = std::min(kTile, n_rows - g * kTile);
    for (int64_t i = 0; i < nb; ++i) {
      PackedK& p = packed[g * nb + i];
      UnpackedK<F::kSubBlocks> u;
      for (int r = 0; r < kTile; ++r) {
        p.d[r] = p.dmin[r] = 0.0f;
        if (r < nr) F::Unpack(static_cast<const typename F::Block*>(rows[g * kTile + r])[i], r, u, p);
      }
      ToTiles<F>(u, p);
    }
  }
}

// Palette 1: tmm0-2 the hi, lo and min sums (16 x 16 int32), tmm3 A (16
// tokens x 64 bytes), tmm4-6 the hi, lo and min B tiles.
constexpr TileConfig MakeKTileConfig() {
  TileConfig c{};
  c.palette = 1;
  for (int t = 0; t < 7; ++t) c.colsb[t] = 64, c.rows[t] = kTile;
  return c;
}
alignas(64) constexpr TileConfig kKTileConfig = MakeKTileConfig();

// 16 tokens (Q8_K rows at a stride) x one packed group of 16 rows.
template <class F>
void TileK16x16(const uint8_t* acts, int64_t stride, const PackedK* packed, int64_t nb, float* out,
                int64_t out_stride, int n_out) {
  __m512 acc[kTile];
#pragma GCC unroll 16
  for (int t = 0; t < kTile; ++t) acc[t] = _mm512_setzero_ps();
  alignas(64) int32_t c[3][kTile][kTile];
  for (int64_t i = 0; i < nb; ++i) {
    const PackedK& p = packed[i];
    const uint8_t* block = acts + i * sizeof(BlockQ8_K);
    _tile_zero(0);
    _tile_zero(1);
    if constexpr (F::kMins) _tile_zero(2);
#pragma GCC unroll 4
    for (int ks = 0; ks < kKSteps; ++ks) {
      _tile_loadd(3, block + offsetof(BlockQ8_K, qs) + 64 * ks, stride);
      _tile_loadd(4, p.hi[ks], 64);
      _tile_loadd(5, p.lo[ks], 64);
      _tile_dpbssd(0, 3, 4);
      _tile_dpbssd(1, 3, 5);
      if constexpr (F::kMins) {
        _tile_loadd(6, p.mins[ks], 64);
        _tile_dpbssd(2, 3, 6);
      }
    }
    _tile_stored(0, c[0], 64);
    _tile_stored(1, c[1], 64);
    if constexpr (F::kMins) _tile_stored(2, c[2], 64);
    const __m512 dw = _mm512_load_ps(p.d), dmin = _mm512_load_ps(p.dmin);
#pragma GCC unroll 16
    for (int t = 0; t < kTile; ++t) {
      const __m512i isum =
          _mm512_add_epi32(_mm512_slli_epi32(_mm512_load_si512(c[0][t]), F::kShift), _mm512_load_si512(c[1][t]));
      const __m512 yd = _mm512_set1_ps(reinterpret_cast<const BlockQ8_K*>(block + t * stride)->d);
      const __m512 a = _mm512_mul_ps(_mm512_mul_ps(dw, yd), _mm512_cvtepi32_ps(isum));
      if constexpr (F::kMins) {
        // DotQ45_K: sum += Half(d) * y.d * isum - Half(dmin) * y.d * summs.
        const __m512 b = _mm512_mul_ps(_mm512_mul_ps(dmin, yd), _mm512_cvtepi32_ps(_mm512_load_si512(c[2][t])));
        acc[t] = _mm512_add_ps(acc[t], _mm512_sub_ps(a, b));
      } else {
        // DotQ6_K: sum += Half(d) * y.d * isum.
        acc[t] = _mm512_add_ps(acc[t], a);
      }
    }
  }
  const __mmask16 mask = static_cast<__mmask16>((1u << n_out) - 1);
#pragma GCC unroll 16
  for (int t = 0; t < kTile; ++t) _mm512_mask_storeu_ps(out + t * out_stride, mask, acc[t]);
}

template <class F>
void RunAmxK(const void* const* rows, int n_rows, const uint8_t* acts, int64_t stride, int n_acts, int64_t n,
             float* out, int64_t out_stride) {
  const int64_t nb = n / kQK_K, groups = (n_rows + kTile - 1) / kTile;
  thread_local std::vector<Line> scratch;
  PackedK* packed = Grow<PackedK>(scratch, groups * nb);
  PackRowsK<F>(rows, n_rows, nb, packed);
  __asm__ __volatile__("" ::: "memory");  // as in RunAmx
  TileSession session(kKTileConfig);
  for (int t0 = 0; t0 < n_acts; t0 += kTile) {
    const int first = std::min(t0, n_acts - kTile);
    for (int64_t g = 0; g < groups; ++g)
      TileK16x16<F>(acts + first * stride, stride, packed + g * nb, nb, out + first * out_stride + g * kTile,
                    out_stride, static_cast<int>(std::min<int64_t>(kTile, n_rows - g * kTile)));
  }
}

// The activations' common stride when there are at least kAmxMinActs of them,
// each at least `row_bytes` apart in one buffer; 0 otherwise.
int64_t UniformStride(const void* const* acts, int n_acts, int64_t row_bytes) {
  if (n_acts < kAmxMinActs) return 0;
  const auto* first = static_cast<const uint8_t*>(acts[0]);
  const int64_t stride = static_cast<const uint8_t*>(acts[1]) - first;
  if (stride < row_bytes || stride > INT32_MAX / kTile) return 0;
  for (int t = 2; t < n_acts; ++t)
    if (static_cast<const uint8_t*>(acts[t]) != first + t * stride) return 0;
  return stride;
}

}  // namespace
#pragma GCC pop_options

bool AmxTileQ4_0x8(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n, float* out,
                   int64_t out_stride) {
  if (!HasAmx() || n_rows <= 0) return false;
  const int64_t stride = UniformStride(acts, n_acts, n / kQK4_0 * sizeof(BlockQ8_0));
  if (stride == 0) return false;
  RunAmx(rows, n_rows, static_cast<const uint8_t*>(acts[0]), stride, n_acts, n, out, out_stride);
  return true;
}

bool AmxTileK(GgmlType type, const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n,
              float* out, int64_t out_stride) {
  if (!HasAmx() || n_rows <= 0 || (type != GgmlType::Q4_K && type != GgmlType::Q6_K)) return false;
  const int64_t stride = UniformStride(acts, n_acts, n / kQK_K * sizeof(BlockQ8_K));
  if (stride == 0) return false;
  const auto* first = static_cast<const uint8_t*>(acts[0]);
  if (type == GgmlType::Q4_K)
    RunAmxK<Q4KFormat>(rows, n_rows, first, stride, n_acts, n, out, out_stride);
  else
    RunAmxK<Q6KFormat>(rows, n_rows, first, stride, n_acts, n, out, out_stride);
  return true;
}

#else

bool HasAmx() { return false; }
bool AmxTileQ4_0x8(const void* const*, int, const void* const*, int, int64_t, float*, int64_t) { return false; }
bool AmxTileK(GgmlType, const void* const*, int, const void* const*, int, int64_t, float*, int64_t) { return false; }

#endif

}  // namespace bhasa::native::quant
