// GPU memory budgeting: device weight bytes per layout, KV bytes per
// position, and PlanGpuMemory's fit check and error message.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/native/gpu_memory.h"
#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa::native {
namespace {

TensorInfo Tensor(GgmlType type, std::vector<int64_t> ne) {
  TensorInfo t;
  t.type = type;
  t.ne = std::move(ne);
  t.bytes = RowBytes(type, t.cols()) * static_cast<size_t>(t.rows());
  return t;
}

TEST(GpuMemory, WeightBytesPerLayout) {
  const std::vector<TensorInfo> tensors = {
      Tensor(GgmlType::Q4_K, {4096, 1024}),  // 144 bytes per 256 weights
      Tensor(GgmlType::F32, {256, 8}),
      Tensor(GgmlType::BF16, {512, 4}),
      Tensor(GgmlType::F32, {4096}),  // a norm: not a matmul weight
  };
  const size_t q4k = 4096 / 256 * 144 * 1024;
  EXPECT_EQ(DeviceWeightBytes(tensors, DeviceWeightLayout::kBlocks), q4k + 256 * 8 * 4 + 512 * 4 * 2);
  EXPECT_EQ(DeviceWeightBytes(tensors, DeviceWeightLayout::kHalfExpanded), 4096 * 1024 * 2 + 256 * 8 * 4 + 512 * 4 * 2);
}

TEST(GpuMemory, KvBytesPerPosition) {
  // Llama-3.1-8B: 32 layers, 8 KV heads of 128.
  EXPECT_EQ(KvBytesPerPosition(32, 1024, KvType::kF16), size_t{131072});
  EXPECT_EQ(KvBytesPerPosition(32, 1024, KvType::kF32), size_t{262144});
}

TEST(GpuMemory, PlanGivesTheKvPositionsLeftAfterTheWeights) {
  const size_t gib = size_t{1} << 30;
  const auto plan = PlanGpuMemory("m.gguf", 80 * gib, 0.9, 5 * gib, 131072, 8192);
  EXPECT_EQ(plan.budget_bytes, static_cast<size_t>(std::floor(80.0 * gib * 0.9)));
  EXPECT_EQ(plan.kv_bytes, size_t{8192} * 131072);
  EXPECT_EQ(plan.kv_positions, static_cast<int64_t>((plan.budget_bytes - 5 * gib) / 131072));
  EXPECT_GE(plan.kv_positions, 8192);
  // Exactly full is still a fit.
  EXPECT_NO_THROW(PlanGpuMemory("m", 1000, 1.0, 600, 100, 4));
}

TEST(GpuMemory, ATooLargeModelIsAClearUsageError) {
  const size_t gib = size_t{1} << 30;
  try {
    PlanGpuMemory("llama-8b-F16.gguf", 16 * gib, 0.9, 15 * gib, 131072, 8192);
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.exit_code(), kExitUsage);
    for (const char* part : {"llama-8b-F16.gguf", "does not fit", "15.00 GiB of weights", "1.00 GiB of KV cache",
                             "8192 positions", "14.40 GiB", "--gpu-memory-fraction 0.90 of 16.00 GiB"})
      EXPECT_NE(m.find(part), std::string::npos) << "missing '" << part << "' in: " << m;
  }
  EXPECT_THROW(PlanGpuMemory("m", 1000, 1.0, 601, 100, 4), Error);
}

TEST(GpuMemory, FractionOutsideZeroToOneIsRefused) {
  for (double f : {0.0, -0.5, 1.01, std::nan("")}) {
    try {
      PlanGpuMemory("m", 1000, f, 1, 1, 1);
      FAIL() << "no error for " << f;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--gpu-memory-fraction must be in (0, 1]"), std::string::npos) << e.what();
      EXPECT_EQ(e.exit_code(), kExitUsage);
    }
  }
}

}  // namespace
}  // namespace bhasa::native
