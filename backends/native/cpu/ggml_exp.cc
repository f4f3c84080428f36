#include "backends/native/cpu/ggml_exp.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

#include "backends/native/ggml_types.h"

namespace bhasa::native {

// Built twice: with hardware FMA (std::fma inlines to one instruction) and
// without (a correctly rounded library call); both give identical results.
__attribute__((target_clones("arch=x86-64-v3", "default"))) float ExpLikeGgml(float x) {
  if (std::isnan(x)) return x;
  if (x < -104.0f) return 0.0f;
  if (x > 89.0f) return INFINITY;
  const float shift = 0x1.8p23f;  // adding it rounds x/ln2 to an integer n
  const float n = std::fma(x, 0x1.715476p+0f, shift) - shift;
  // b = x - n*ln2, with ln2 split in two so the reduction stays exact.
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const float u = b * b;
  const float hi = std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f));
  const float p = std::fma(hi, u, std::fma(0x1.ffffecp-1f, b, 1.0f));
  const int e = static_cast<int>(n);
  // p * 2^e rounds once, like ldexp, while 2^e is a normal float; the few
  // results beyond that range (x near the limits above) take the library call.
  if (e < -126 || e > 127) return std::ldexp(p, e);
  return p * std::bit_cast<float>(static_cast<uint32_t>(e + 127) << 23);
}

float SiluLikeGgml(float x) { return x / (1.0f + ExpLikeGgml(-x)); }

namespace {

// The tanh GELU as ggml's table builder evaluates it, with the fused
// multiply-add its compiler forms for 1 + a*x*x.
float GeluTanh(float x) {
  constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f, kCoef = 0.044715f;
  return (0.5f * x) * (std::tanh((kSqrt2OverPi * x) * std::fma(kCoef * x, x, 1.0f)) + 1.0f);
}

}  // namespace

float GeluLikeGgml(float x) {
  static const std::array<uint16_t, 1 << 16> table = [] {
    std::array<uint16_t, 1 << 16> t{};
    for (uint32_t i = 0; i < t.size(); ++i) t[i] = Fp32ToFp16(GeluTanh(Fp16ToFp32(static_cast<uint16_t>(i))));
    return t;
  }();
  if (x <= -10.0f) return 0.0f;
  if (x >= 10.0f) return x;
  return Fp16ToFp32(table[Fp32ToFp16(x)]);
}

}  // namespace bhasa::native
