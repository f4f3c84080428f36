// Highway multi-target compilation: this file is re-included once per target
// by foreach_target.h; HWY_ONCE below builds the dispatch tables.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backends/native/cpu/simd_ops.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

#include "backends/native/cpu/ggml_exp.h"
#include "backends/native/cpu/simd_ops.h"
#include "backends/native/ggml_types.h"  // Fp16ToFp32

HWY_BEFORE_NAMESPACE();
namespace bhasa::native::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

float DotF32Impl(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N), s1);
  }
  for (; i + N <= n; i += N) s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
  float sum = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

float DotF32F16Impl(const float* HWY_RESTRICT a, const uint16_t* HWY_RESTRICT b, int64_t n) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<hwy::float16_t, decltype(d)> dh;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto* bh = reinterpret_cast<const hwy::float16_t*>(b);
  auto s0 = hn::Zero(d);
  int64_t i = 0;
  for (; i + N <= n; i += N) s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::PromoteTo(d, hn::LoadU(dh, bh + i)), s0);
  float sum = hn::GetLane(hn::SumOfLanes(d, s0));
  for (; i < n; ++i) sum += a[i] * Fp16ToFp32(b[i]);
  return sum;
}

void AxpyF32Impl(float* HWY_RESTRICT out, float alpha, const float* HWY_RESTRICT x, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto va = hn::Set(d, alpha);
  int64_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::MulAdd(va, hn::LoadU(d, x + i), hn::LoadU(d, out + i)), d, out + i);
  for (; i < n; ++i) out[i] += alpha * x[i];
}

void AxpyF16Impl(float* HWY_RESTRICT out, float alpha, const uint16_t* HWY_RESTRICT x, int64_t n) {
  const hn::ScalableTag<float> d;
  const hn::Rebind<hwy::float16_t, decltype(d)> dh;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto* xh = reinterpret_cast<const hwy::float16_t*>(x);
  const auto va = hn::Set(d, alpha);
  int64_t i = 0;
  for (; i + N <= n; i += N)
    hn::StoreU(hn::MulAdd(va, hn::PromoteTo(d, hn::LoadU(dh, xh + i)), hn::LoadU(d, out + i)), d, out + i);
  for (; i < n; ++i) out[i] += alpha * Fp16ToFp32(x[i]);
}

#if HWY_NATIVE_FMA
// ExpLikeGgml on every lane, the same fused multiply-adds in the same order,
// valid where the result is p * 2^n with 2^n a normal float: -87 <= x <= 88
// (InExpRange). Elsewhere the scalar function handles ldexp's edge cases.
template <class D>
hn::Vec<D> ExpInRange(D d, hn::Vec<D> x) {
  const hn::RebindToSigned<D> di;
  const auto shift = hn::Set(d, 0x1.8p23f);
  const auto n = hn::Sub(hn::MulAdd(x, hn::Set(d, 0x1.715476p+0f), shift), shift);
  const auto b = hn::NegMulAdd(n, hn::Set(d, 0x1.7f7d1cp-20f), hn::NegMulAdd(n, hn::Set(d, 0x1.62e4p-1f), x));
  const auto u = hn::Mul(b, b);
  const auto hi = hn::MulAdd(hn::MulAdd(hn::Set(d, 0x1.0e4020p-7f), b, hn::Set(d, 0x1.573e2ep-5f)), u,
                             hn::MulAdd(hn::Set(d, 0x1.555e66p-3f), b, hn::Set(d, 0x1.fffdb6p-2f)));
  const auto p = hn::MulAdd(hi, u, hn::MulAdd(hn::Set(d, 0x1.ffffecp-1f), b, hn::Set(d, 1.0f)));
  const auto pow2 = hn::BitCast(d, hn::ShiftLeft<23>(hn::Add(hn::ConvertTo(di, n), hn::Set(di, 127))));
  return hn::Mul(p, pow2);
}

// False for NaN lanes too.
template <class D>
bool InExpRange(D d, hn::Vec<D> x) {
  return hn::AllTrue(d, hn::And(hn::Ge(x, hn::Set(d, -87.0f)), hn::Le(x, hn::Set(d, 88.0f))));
}
#endif

double ExpSubSumImpl(float* HWY_RESTRICT x, int64_t n, float max) {
  int64_t i = 0;
#if HWY_NATIVE_FMA
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto vmax = hn::Set(d, max);
  for (; i + N <= n; i += N) {
    const auto v = hn::Sub(hn::LoadU(d, x + i), vmax);
    if (InExpRange(d, v)) {
      hn::StoreU(ExpInRange(d, v), d, x + i);
    } else {
      for (int64_t k = i; k < i + N; ++k) x[k] = ExpLikeGgml(x[k] - max);
    }
  }
#endif
  for (; i < n; ++i) x[i] = ExpLikeGgml(x[i] - max);
  double sum = 0;
  for (int64_t k = 0; k < n; ++k) sum += x[k];  // index order, as ggml's softmax
  return sum;
}

void SwigluImpl(const float* gate, const float* up, int64_t n, float* out) {
  int64_t i = 0;
#if HWY_NATIVE_FMA
  const hn::ScalableTag<float> d;
  const int64_t N = static_cast<int64_t>(hn::Lanes(d));
  const auto one = hn::Set(d, 1.0f);
  for (; i + N <= n; i += N) {
    const auto g = hn::LoadU(d, gate + i), neg = hn::Neg(g);
    if (InExpRange(d, neg)) {
      hn::StoreU(hn::Mul(hn::Div(g, hn::Add(one, ExpInRange(d, neg))), hn::LoadU(d, up + i)), d, out + i);
    } else {
      for (int64_t k = i; k < i + N; ++k) out[k] = SiluLikeGgml(gate[k]) * up[k];
    }
  }
#endif
  for (; i < n; ++i) out[i] = SiluLikeGgml(gate[i]) * up[i];
}

const char* TargetNameImpl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace bhasa::native::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bhasa::native::simd {

HWY_EXPORT(DotF32Impl);
HWY_EXPORT(DotF32F16Impl);
HWY_EXPORT(AxpyF32Impl);
HWY_EXPORT(AxpyF16Impl);
HWY_EXPORT(ExpSubSumImpl);
HWY_EXPORT(SwigluImpl);
HWY_EXPORT(TargetNameImpl);

float DotF32(const float* a, const float* b, int64_t n) { return HWY_DYNAMIC_DISPATCH(DotF32Impl)(a, b, n); }
float DotF32F16(const float* a, const uint16_t* b, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(DotF32F16Impl)(a, b, n);
}
void AxpyF32(float* out, float alpha, const float* x, int64_t n) {
  HWY_DYNAMIC_DISPATCH(AxpyF32Impl)(out, alpha, x, n);
}
void AxpyF16(float* out, float alpha, const uint16_t* x, int64_t n) {
  HWY_DYNAMIC_DISPATCH(AxpyF16Impl)(out, alpha, x, n);
}
double ExpSubSum(float* x, int64_t n, float max) { return HWY_DYNAMIC_DISPATCH(ExpSubSumImpl)(x, n, max); }
void Swiglu(const float* gate, const float* up, int64_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(SwigluImpl)(gate, up, n, out);
}
const char* TargetName() { return HWY_DYNAMIC_DISPATCH(TargetNameImpl)(); }

std::vector<int64_t> AvailableTargets() { return hwy::SupportedAndGeneratedTargets(); }
void ForceTarget(int64_t target) {
  hwy::SetSupportedTargetsForTest(target);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

}  // namespace bhasa::native::simd
#endif  // HWY_ONCE
