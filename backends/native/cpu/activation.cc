#include "backends/native/cpu/activation.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "backends/native/quant_blocks.h"

namespace bhasa::native {
namespace {

void QuantizeQ8K(const float* x, quant::BlockQ8_K* y, int64_t n) {
  for (int64_t i = 0; i < n / quant::kQK_K; ++i, x += quant::kQK_K) {
    float max = 0, amax = 0;
    for (int j = 0; j < quant::kQK_K; ++j)
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    if (amax == 0) {
      y[i].d = 0;
      std::memset(y[i].qs, 0, sizeof(y[i].qs));
    } else {
      const float iscale = -127.f / max;
      // nearbyint rounds half to even, as ggml's nearest_int bit trick does.
      for (int j = 0; j < quant::kQK_K; ++j)
        y[i].qs[j] = static_cast<int8_t>(std::min(127, static_cast<int>(std::nearbyint(iscale * x[j]))));
      y[i].d = 1 / iscale;
    }
    for (int j = 0; j < quant::kQK_K / 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += y[i].qs[j * 16 + l];
      y[i].bsums[j] = static_cast<int16_t>(sum);
    }
  }
}

}  // namespace

void ConvertActivation(GgmlType weight_type, const float* x, void* dst, int64_t n) {
  if (VecDotType(weight_type) == GgmlType::Q8_K) {
    RowBytes(GgmlType::Q8_K, n);  // throws unless n is a multiple of 256
    QuantizeQ8K(x, static_cast<quant::BlockQ8_K*>(dst), n);
    return;
  }
  QuantizeActivation(weight_type, x, dst, n);
}

}  // namespace bhasa::native
