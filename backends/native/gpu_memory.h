// GPU memory budgeting: what a model's weights and KV cache take on the
// device, and the check, made before any upload, that they fit the share of
// the device's memory --gpu-memory-fraction allows. Plain arithmetic, so it
// is tested on any machine; the device only supplies its total memory.
//
// Thread-safety: pure functions. Failure: PlanGpuMemory throws bhasa::Error
// (exit code "usage") naming the model, the sizes and the flag to change
// when the model does not fit, or when the fraction is outside (0, 1].
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "backends/native/kv_cache.h"
#include "backends/native/model_file.h"

namespace bhasa::native {

// How a device holds weight matrices: in their own GGUF block format (bytes
// as in the file), or with every non-F32 type expanded to 2-byte halves (the
// matmul cache of the "cuda" kernel table today).
enum class DeviceWeightLayout { kBlocks, kHalfExpanded };

// Device bytes of the tensors that a weight matmul reads (2-D and larger).
size_t DeviceWeightBytes(std::span<const TensorInfo> tensors, DeviceWeightLayout layout);
// KV cache bytes per position (all layers, K and V).
size_t KvBytesPerPosition(int64_t n_layer, int64_t kv_dim, KvType type);

struct GpuMemoryPlan {
  size_t budget_bytes = 0;   // fraction of the device's memory
  size_t weight_bytes = 0;
  size_t kv_bytes = 0;       // for min_kv_positions
  int64_t kv_positions = 0;  // positions the budget left after the weights holds
};

// Throws the usage error unless 0 < fraction <= 1.
void CheckGpuMemoryFraction(double fraction);

// Throws unless weight_bytes + min_kv_positions * kv_bytes_per_position fit
// fraction * total_bytes.
GpuMemoryPlan PlanGpuMemory(const std::string& model, size_t total_bytes, double fraction, size_t weight_bytes,
                            size_t kv_bytes_per_position, int64_t min_kv_positions);

}  // namespace bhasa::native
