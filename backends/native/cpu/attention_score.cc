#include "backends/native/cpu/attention_score.h"

#include <cmath>

namespace bhasa::native {

// Lane loops the compiler vectorises; std::fma rounds once in every build.
// Clones are picked by ISA level (CPU features): "arch=haswell" would be
// picked only on CPUs GCC identifies as the Haswell model.
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) float AttentionScore(const float* q,
                                                                                                  const float* k,
                                                                                                  int64_t n) {
  float a0[16] = {}, a1[16] = {};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int l = 0; l < 16; ++l) {
      a0[l] = std::fma(q[i + l], k[i + l], a0[l]);
      a1[l] = std::fma(q[i + 16 + l], k[i + 16 + l], a1[l]);
    }
  for (int l = 0; l < 16; ++l) a0[l] += a1[l];
  // The lanes' tree sum (quant::ReduceLanes16's order), inline: a call per
  // score costs as much as the score.
  float h8[8], h4[4];
  for (int l = 0; l < 8; ++l) h8[l] = a0[l] + a0[l + 8];
  for (int l = 0; l < 4; ++l) h4[l] = h8[l] + h8[l + 4];
  float sum = (h4[0] + h4[2]) + (h4[1] + h4[3]);
  for (; i < n; ++i) sum += q[i] * k[i];
  return sum;
}

}  // namespace bhasa::native
