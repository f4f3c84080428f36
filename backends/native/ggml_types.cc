// Type table, fp16/bf16 conversion and dispatch to the per-family kernels.
#include "backends/native/ggml_types.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "backends/native/quant_impl.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

struct Entry {
  GgmlType type;
  TypeTraits traits;
};

constexpr Entry kTypes[] = {
    {GgmlType::F32, {"f32", 1, 4, true}},
    {GgmlType::F16, {"f16", 1, 2, true}},
    {GgmlType::Q4_0, {"q4_0", 32, 18, true}},
    {GgmlType::Q4_1, {"q4_1", 32, 20, false}},
    {GgmlType::Q5_0, {"q5_0", 32, 22, true}},
    {GgmlType::Q5_1, {"q5_1", 32, 24, false}},
    {GgmlType::Q8_0, {"q8_0", 32, 34, true}},
    {GgmlType::Q8_1, {"q8_1", 32, 36, false}},
    {GgmlType::Q2_K, {"q2_K", 256, 84, true}},
    {GgmlType::Q3_K, {"q3_K", 256, 110, true}},
    {GgmlType::Q4_K, {"q4_K", 256, 144, true}},
    {GgmlType::Q5_K, {"q5_K", 256, 176, true}},
    {GgmlType::Q6_K, {"q6_K", 256, 210, true}},
    {GgmlType::Q8_K, {"q8_K", 256, 292, true}},
    {GgmlType::BF16, {"bf16", 1, 2, true}},
};

const Entry* Find(uint32_t raw) {
  for (const auto& e : kTypes)
    if (static_cast<uint32_t>(e.type) == raw) return &e;
  return nullptr;
}

const quant::QuantOps& Ops(GgmlType t) {
  const quant::QuantOps* ops = quant::FloatOps(t);
  if (!ops) ops = quant::LegacyOps(t);
  if (!ops) ops = quant::KQuantOps(t);
  if (!ops)
    throw Error(std::string("ggml type ") + TypeName(t) + " is not supported by the built-in engine");
  return *ops;
}

void CheckMultiple(GgmlType t, int64_t n) {
  const TypeTraits& tr = Traits(t);
  if (n < 0 || n % tr.block_size != 0)
    throw Error(std::string("row of ") + std::to_string(n) + " elements is not a multiple of the " +
                tr.name + " block size " + std::to_string(tr.block_size));
}

}  // namespace

const TypeTraits& Traits(GgmlType t) {
  const Entry* e = Find(static_cast<uint32_t>(t));
  if (!e) throw Error("unknown ggml type id " + std::to_string(static_cast<uint32_t>(t)));
  return e->traits;
}

bool IsKnownType(uint32_t raw) { return Find(raw) != nullptr; }

const char* TypeName(GgmlType t) {
  const Entry* e = Find(static_cast<uint32_t>(t));
  return e ? e->traits.name : "unknown";
}

size_t RowBytes(GgmlType t, int64_t n) {
  CheckMultiple(t, n);
  const TypeTraits& tr = Traits(t);
  return static_cast<size_t>(n / tr.block_size) * tr.type_size;
}

void DequantizeRow(GgmlType t, const void* src, float* dst, int64_t n) {
  CheckMultiple(t, n);
  Ops(t).dequantize(src, dst, n);
}

void QuantizeRow(GgmlType t, const float* src, void* dst, int64_t n) {
  CheckMultiple(t, n);
  Ops(t).quantize(src, dst, n);
}

GgmlType VecDotType(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::F32: return GgmlType::F32;
    case GgmlType::F16: return GgmlType::F16;
    case GgmlType::BF16: return GgmlType::BF16;
    case GgmlType::Q4_0:
    case GgmlType::Q5_0:
    case GgmlType::Q8_0: return GgmlType::Q8_0;
    case GgmlType::Q2_K:
    case GgmlType::Q3_K:
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K: return GgmlType::Q8_K;
    default:
      throw Error(std::string("no matmul for ggml type ") + TypeName(weight_type));
  }
}

void QuantizeActivation(GgmlType weight_type, const float* x, void* dst, int64_t n) {
  GgmlType vt = VecDotType(weight_type);
  CheckMultiple(weight_type, n);
  switch (vt) {
    case GgmlType::Q8_0: quant::QuantizeQ8_0Activation(x, dst, n); break;
    case GgmlType::Q8_K: quant::QuantizeQ8_K(x, dst, n); break;
    default: Ops(vt).quantize(x, dst, n); break;
  }
}

float VecDot(GgmlType weight_type, const void* weight_row, const void* act, int64_t n) {
  if (quant::VecDotFn fn = quant::SimdVecDot(weight_type)) {
    CheckMultiple(weight_type, n);
    return fn(weight_row, act, n);
  }
  return VecDotRef(weight_type, weight_row, act, n);
}

float VecDotRef(GgmlType weight_type, const void* weight_row, const void* act, int64_t n) {
  VecDotType(weight_type);  // throws for types without a matmul
  CheckMultiple(weight_type, n);
  return Ops(weight_type).vec_dot_ref(weight_row, act, n);
}

float VecDotBatched(GgmlType weight_type, const void* weight_row, const void* act, int64_t n) {
  if (weight_type != GgmlType::BF16) return VecDot(weight_type, weight_row, act, n);
  if (quant::VecDotFn fn = quant::SimdVecDotBatched(weight_type)) return fn(weight_row, act, n);
  return quant::DotBF16Batched(weight_row, act, n);
}

float VecDotBatchedRef(GgmlType weight_type, const void* weight_row, const void* act, int64_t n) {
  if (weight_type != GgmlType::BF16) return VecDotRef(weight_type, weight_row, act, n);
  return quant::DotBF16Batched(weight_row, act, n);
}

bool VecDotTile(GgmlType weight_type, const void* const* rows, int n_rows, const void* const* acts, int n_acts,
                int64_t n, float* out, int64_t out_stride) {
  VecDotType(weight_type);  // throws for types without a matmul
  CheckMultiple(weight_type, n);
  if (weight_type == GgmlType::BF16) return false;  // batched BF16 has its own order (VecDotBatched)
  const quant::VecDotTileFn fn = quant::SimdVecDotTile(weight_type);
  if (!fn) return false;
  if (n_rows > 0 && n_acts > 0) fn(rows, n_rows, acts, n_acts, n, out, out_stride);
  return true;
}

bool UsesInterleavedQ4_0(GgmlType weight_type, int64_t rows) {
  return weight_type == GgmlType::Q4_0 && rows % 8 == 0;
}

float VecDotQ4_0x8(const void* weight_row, const void* act, int64_t n) {
  CheckMultiple(GgmlType::Q4_0, n);
  return quant::DotQ4_0x8(weight_row, act, n);
}

void VecDotTileQ4_0x8(const void* const* rows, int n_rows, const void* const* acts, int n_acts, int64_t n,
                      float* out, int64_t out_stride) {
  CheckMultiple(GgmlType::Q4_0, n);
  if (n_rows > 0 && n_acts > 0) quant::TileQ4_0x8(rows, n_rows, acts, n_acts, n, out, out_stride);
}

namespace quant {
namespace {

const char* Name(SimdTarget t) {
  switch (t) {
    case SimdTarget::kAmx: return "AMX";
    case SimdTarget::kAvx512Vnni: return "AVX512VNNI";
    case SimdTarget::kAvx2: return "AVX2";
    default: return "scalar";
  }
}

bool SameName(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

// The supported target called `name` (any case); "" is the best one.
SimdTarget Named(const std::string& name, const char* source) {
  const auto targets = SupportedTargets();
  if (name.empty()) return targets.front();
  std::string known;
  for (SimdTarget t : targets) {
    if (SameName(name, Name(t))) return t;
    known += std::string(known.empty() ? "" : ", ") + Name(t);
  }
  throw Error(std::string(source) + ": unknown or unsupported SIMD target '" + name + "' (this CPU runs: " + known +
              ")");
}

std::atomic<SimdTarget>& Current() {
  static std::atomic<SimdTarget> current{[] {
    const char* env = std::getenv("BHASA_VECDOT_TARGET");
    return Named(env ? env : "", "BHASA_VECDOT_TARGET");
  }()};
  return current;
}

}  // namespace

SimdTarget CurrentTarget() { return Current().load(std::memory_order_relaxed); }

}  // namespace quant

const char* VecDotTarget() { return quant::Name(quant::CurrentTarget()); }

std::vector<std::string> VecDotTargets() {
  std::vector<std::string> names;
  for (quant::SimdTarget t : quant::SupportedTargets()) names.push_back(quant::Name(t));
  return names;
}

void ForceVecDotTarget(const std::string& name) {
  quant::Current().store(quant::Named(name, "ForceVecDotTarget"), std::memory_order_relaxed);
}

float Fp16ToFp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    // Zero or subnormal: mant * 2^-24, exact in float.
    float v = std::ldexp(static_cast<float>(mant), -24);
    std::memcpy(&bits, &v, 4);
    bits |= sign;
  } else if (exp == 31) {
    bits = sign | 0x7f800000 | (mant << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t Fp32ToFp16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  x &= 0x7fffffff;
  if (x > 0x7f800000) return sign | 0x7e00 | static_cast<uint16_t>((x >> 13) & 0x3ff);  // NaN
  if (x >= 0x477ff000) return sign | 0x7c00;  // >= 65520 rounds to infinity
  if (x < 0x38800000) {
    // Half subnormal range: count units of 2^-24, rounding half to even.
    float a;
    std::memcpy(&a, &x, 4);
    return sign | static_cast<uint16_t>(std::nearbyint(a * 16777216.0f));
  }
  const uint32_t odd = (x >> 13) & 1;
  x += 0xc8000fffu + odd;  // rebias exponent 127 → 15 and round to nearest even
  return sign | static_cast<uint16_t>(x >> 13);
}

float Bf16ToFp32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t Fp32ToBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((u >> 16) | 64);  // quiet NaN
  return static_cast<uint16_t>((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

}  // namespace bhasa::native
