// ggml tensor element types: block layouts, (de)quantization and the dot
// products the quantized matmuls are built from.
//
// The numerics follow ggml exactly where it matters for matching llama.cpp:
// fp16 block scales, the K-quant 6-bit scale/min packing, Q8_K's bsums, and the
// fact that a quantized matmul first rounds the activation row to the weight
// type's "vec_dot type" (QuantizeActivation) and then takes an integer dot
// product per block (VecDot). DequantizeRow is bit-exact with ggml's
// dequantization.
//
// Thread-safety: every function here is pure (no shared state) and may be
// called concurrently. Failure: functions throw bhasa::Error on an unknown or
// unsupported type or when n is not a multiple of the type's block size;
// pointers are trusted to cover RowBytes(t, n) bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bhasa::native {

enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  BF16 = 30,
};

struct TypeTraits {
  const char* name;     // ggml's name: "f32", "q4_0", "q4_K", ...
  int64_t block_size;   // elements per block (1 for float types)
  size_t type_size;     // bytes per block
  bool supported;       // DequantizeRow/VecDot implemented (Q4_1, Q5_1, Q8_1 are not)
};

// Throws Error for values outside the enum.
const TypeTraits& Traits(GgmlType t);
bool IsKnownType(uint32_t raw);
// Name of a raw type id, "type 42" when unknown (for messages).
const char* TypeName(GgmlType t);

// Bytes of a row of n elements. Throws unless n % block_size == 0.
size_t RowBytes(GgmlType t, int64_t n);

// src: RowBytes(t, n) bytes; dst: n floats.
void DequantizeRow(GgmlType t, const void* src, float* dst, int64_t n);
// Reference (round-to-nearest style) quantizers, deterministic; for the
// writer and tests. They need not match llama-quantize's search.
void QuantizeRow(GgmlType t, const float* src, void* dst, int64_t n);

// The layout ggml converts the activation row to before a matmul with a
// weight of this type: Q8_0 for Q4_0/Q5_0/Q8_0, Q8_K for Q2_K..Q6_K, F16 for
// F16, BF16 for BF16, F32 for F32.
GgmlType VecDotType(GgmlType weight_type);
// x (n floats) → dst in VecDotType(weight_type) layout
// (RowBytes(VecDotType(weight_type), n) bytes).
void QuantizeActivation(GgmlType weight_type, const float* x, void* dst, int64_t n);
// Dot product of one weight row (n elements of weight_type) with an activation
// row already in VecDotType layout. SIMD path chosen at run time.
float VecDot(GgmlType weight_type, const void* weight_row, const void* act, int64_t n);
// Plain scalar twin of VecDot (same block-wise integer arithmetic, scalar
// float accumulation); used by tests to check VecDot.
float VecDotRef(GgmlType weight_type, const void* weight_row, const void* act, int64_t n);
// The dot for a matmul over two or more activation rows. ggml hands those to
// llamafile's tiled GEMM, which sums BF16 products in another order than its
// one-row vec_dot; for every other type this is VecDot (and its Ref twin).
float VecDotBatched(GgmlType weight_type, const void* weight_row, const void* act, int64_t n);
float VecDotBatchedRef(GgmlType weight_type, const void* weight_row, const void* act, int64_t n);
// A tile of a matmul over two or more activation rows:
// out[j * out_stride + i] = VecDotBatched(weight_type, rows[i], acts[j], n),
// bit for bit, for i < n_rows and j < n_acts (any counts >= 0). Each weight
// block is unpacked once for several activations and each activation block
// loaded once for several rows; every output keeps the single dot's
// accumulator and block order. Returns false, writing nothing, when this
// CPU/build has no tile kernel for the type (callers then loop over
// VecDotBatched); throws like VecDot on a bad type or size.
bool VecDotTile(GgmlType weight_type, const void* const* rows, int n_rows, const void* const* acts, int n_acts,
                int64_t n, float* out, int64_t out_stride);
// Q4_0 as ggml's CPU backend multiplies it on x86 with AVX2 (this engine's
// numerics on every target): a Q4_0 matrix whose row count is a multiple of
// 8 is repacked at load into blocks of 8 interleaved rows (the CPU_AARCH64
// buffer type, block_q4_0x8), and its gemv/gemm kernels, for one token and a
// prompt alike, sum each output block by block as
//   acc = fma(float(the block's exact integer sum), d_w * d_a, acc),
// where vec_dot (VecDot above) keeps 8 float lanes and adds them at the end.
// True when a weight matrix of this type and row count takes that path.
bool UsesInterleavedQ4_0(GgmlType weight_type, int64_t rows);
// That sum for one Q4_0 row and Q8_0 activation (scalar; exact FMA).
float VecDotQ4_0x8(const void* weight_row, const void* act, int64_t n);
// VecDotTile's contract with that sum, on every target (bit-identical to
// VecDotQ4_0x8); the SIMD tiles take the rows eight at a time.
void VecDotTileQ4_0x8(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n,
                      float* out, int64_t out_stride);
// Name of the SIMD target VecDot and VecDotTile dispatch to now
// ("AMX", "AVX512VNNI", "AVX2", "scalar"; AMX runs the AVX-512 VNNI kernels
// and, for VecDotTileQ4_0x8 over 16 or more activations in one buffer at one
// stride, AMX-INT8 tiles).
const char* VecDotTarget();
// The targets this CPU and build can run, best first, "scalar" last. The
// best is used unless the environment variable BHASA_VECDOT_TARGET names
// another one at the first call, or ForceVecDotTarget picks one (tests and
// benchmarks run each target on one machine; "" restores the best). Throws
// Error for a name not in the list (names match in any case). Every target gives the same results for
// VecDotTile and, except "scalar", for VecDot.
std::vector<std::string> VecDotTargets();
void ForceVecDotTarget(const std::string& name);

// IEEE half and bfloat16 conversions as ggml does them (round to nearest
// even; bf16 keeps NaNs quiet).
float Fp16ToFp32(uint16_t h);
uint16_t Fp32ToFp16(float f);
float Bf16ToFp32(uint16_t h);
uint16_t Fp32ToBf16(float f);

}  // namespace bhasa::native
