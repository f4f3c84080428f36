// Highway multi-target compilation: this file is re-included once per target
// by foreach_target.h; HWY_ONCE below builds the dispatch tables.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "backends/native/cpu/simd_ops.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep

#include <hwy/highway.h>

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
const char* TargetName() { return HWY_DYNAMIC_DISPATCH(TargetNameImpl)(); }

std::vector<int64_t> AvailableTargets() { return hwy::SupportedAndGeneratedTargets(); }
void ForceTarget(int64_t target) {
  hwy::SetSupportedTargetsForTest(target);
  hwy::GetChosenTarget().Update(hwy::SupportedTargets());
}

}  // namespace bhasa::native::simd
#endif  // HWY_ONCE
