// Per-type kernels behind ggml_types.h, split by family (quant_float.cc,
// quant_legacy.cc, quant_kquants.cc, quant_simd_x86.cc). Internal.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/native/ggml_types.h"

namespace bhasa::native::quant {

struct QuantOps {
  void (*dequantize)(const void* src, float* dst, int64_t n);
  void (*quantize)(const float* src, void* dst, int64_t n);
  // Scalar reference dot of a weight row with its vec_dot-type activation row.
  float (*vec_dot_ref)(const void* w, const void* act, int64_t n);
};

// nullptr when the family does not hold the type.
const QuantOps* FloatOps(GgmlType t);
const QuantOps* LegacyOps(GgmlType t);
const QuantOps* KQuantOps(GgmlType t);

// Activation quantizers as ggml's CPU backend runs them on x86.
void QuantizeQ8_0Activation(const float* x, void* dst, int64_t n);
void QuantizeQ8_K(const float* x, void* dst, int64_t n);

// The BF16 dot of a row inside a batch (see VecDotBatched) and the lane
// reduction both BF16 orders end with: (a[i] = v[i] + v[i+8], then +4, +2, +1).
float DotBF16Batched(const void* w, const void* act, int64_t n);
float ReduceLanes16(const float* v);

// The SIMD target the functions below dispatch to (see VecDotTargets).
// kAmx runs the AVX-512 VNNI kernels, and AMX tiles where it has them.
enum class SimdTarget { kScalar, kAvx2, kAvx512Vnni, kAmx };
inline bool UsesAvx512(SimdTarget t) { return t == SimdTarget::kAvx512Vnni || t == SimdTarget::kAmx; }
std::vector<SimdTarget> SupportedTargets();  // best first, kScalar last
SimdTarget CurrentTarget();

// SIMD dot for the type, or nullptr when this CPU/build has none for it.
using VecDotFn = float (*)(const void* w, const void* act, int64_t n);
VecDotFn SimdVecDot(GgmlType t);
VecDotFn SimdVecDotBatched(GgmlType t);
// SIMD tile of batched dots (see VecDotTile), or nullptr when this CPU/build
// has none for the type.
using VecDotTileFn = void (*)(const void* const* rows, int n_rows, const void* const* acts, int n_acts,
                              int64_t n, float* out, int64_t out_stride);
VecDotTileFn SimdVecDotTile(GgmlType t);

// The AVX-512 tiles (quant_simd_avx512.cc), nullptr when this CPU/build lacks
// AVX-512 F/BW/VL/DQ/VNNI or the type has no such tile.
bool HasAvx512Vnni();
VecDotTileFn Avx512VecDotTile(GgmlType t);

// AMX-INT8 (quant_amx.cc): the CPU has AMX-TILE, AMX-INT8 and AVX-512 VNNI,
// and Linux granted this process the tile data (asked once, at the first call).
bool HasAmx();
// TileQ4_0x8 on AMX tiles, bit-identical to DotQ4_0x8: true when it ran;
// false, with nothing written, without AMX, below kAmxMinActs activations or
// when the activations are not at one stride (one buffer, as CpuMatmul's).
constexpr int kAmxMinActs = 16;
bool AmxTileQ4_0x8(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n, float* out,
                   int64_t out_stride);
// The Q4_K and Q6_K tiles (VecDotTile's contract) on AMX, bit-identical to
// DotQ45_K and DotQ6_K: each super-block's integer total from the tiles, then
// the dot's float step. Same conditions as AmxTileQ4_0x8 (false for other
// types).
bool AmxTileK(GgmlType type, const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n,
              float* out, int64_t out_stride);

// Q4_0 in the order of ggml's repacked kernels (UsesInterleavedQ4_0 in
// ggml_types.h), quant_q4_0x8.cc: one output, and a tile of them on the
// current target (any counts; bit-identical to DotQ4_0x8).
float DotQ4_0x8(const void* w, const void* act, int64_t n);
void TileQ4_0x8(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n, float* out,
                int64_t out_stride);

// ggml's nearest_int: round half to even for |v| < 2^22.
inline int NearestInt(float v) {
  float val = v + 12582912.f;
  int32_t i;
  __builtin_memcpy(&i, &val, 4);
  return (i & 0x007fffff) - 0x00400000;
}

}  // namespace bhasa::native::quant
