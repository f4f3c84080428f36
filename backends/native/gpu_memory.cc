#include "backends/native/gpu_memory.h"

#include <cmath>
#include <cstdio>

#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa::native {
namespace {

std::string GiB(size_t bytes) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f GiB", static_cast<double>(bytes) / (1ull << 30));
  return s;
}

}  // namespace

size_t DeviceWeightBytes(std::span<const TensorInfo> tensors, DeviceWeightLayout layout) {
  size_t total = 0;
  for (const TensorInfo& t : tensors) {
    if (t.ne.size() < 2) continue;  // norms and biases stay on the host
    if (layout == DeviceWeightLayout::kBlocks || t.type == GgmlType::F32) total += t.bytes;
    else total += static_cast<size_t>(t.elements()) * 2;
  }
  return total;
}

size_t KvBytesPerPosition(int64_t n_layer, int64_t kv_dim, KvType type) {
  return static_cast<size_t>(2 * n_layer * kv_dim) * (type == KvType::kF16 ? 2 : 4);
}

void CheckGpuMemoryFraction(double fraction) {
  if (!(fraction > 0.0 && fraction <= 1.0))
    throw Error("--gpu-memory-fraction must be in (0, 1], got " + std::to_string(fraction), kExitUsage);
}

GpuMemoryPlan PlanGpuMemory(const std::string& model, size_t total_bytes, double fraction, size_t weight_bytes,
                            size_t kv_bytes_per_position, int64_t min_kv_positions) {
  CheckGpuMemoryFraction(fraction);
  GpuMemoryPlan plan;
  plan.budget_bytes = static_cast<size_t>(std::floor(static_cast<double>(total_bytes) * fraction));
  plan.weight_bytes = weight_bytes;
  plan.kv_bytes = static_cast<size_t>(min_kv_positions) * kv_bytes_per_position;
  if (weight_bytes + plan.kv_bytes > plan.budget_bytes) {
    std::string need = GiB(weight_bytes) + " of weights";
    if (plan.kv_bytes > 0)
      need += " + " + GiB(plan.kv_bytes) + " of KV cache for " + std::to_string(min_kv_positions) + " positions";
    char frac[16];
    std::snprintf(frac, sizeof frac, "%.2f", fraction);
    throw Error("model " + model + " does not fit on the GPU: it needs " + need + ", the budget is " +
                    GiB(plan.budget_bytes) + " (--gpu-memory-fraction " + frac + " of " + GiB(total_bytes) +
                    "); use a smaller quantization or context, or raise --gpu-memory-fraction",
                kExitUsage);
  }
  const size_t left = plan.budget_bytes - weight_bytes;
  plan.kv_positions = kv_bytes_per_position > 0 ? static_cast<int64_t>(left / kv_bytes_per_position) : 0;
  return plan;
}

}  // namespace bhasa::native
