// The causal GQA attention kernel for a prompt chunk, on device buffers.
// Internal to the cuda folder; C++17 so nvcc can compile it.
//
// Thread-safety: enqueued on the caller's stream. Failure: throws
// bhasa::Error when the launch fails (the message names `what`).
#pragma once

#include <cstdint>
#include <string>

#include <cuda_runtime_api.h>

namespace bhasa::native::cuda {

struct DeviceAttention {
  const float* q = nullptr;     // n_tokens rows of n_head * head_dim
  const int32_t* pos = nullptr; // per row: attends to cache positions 0..pos[t]
  const void* k = nullptr;      // positions 0..n_kv-1, `stride` elements apart
  const void* v = nullptr;
  bool f16 = false;             // cache elements are IEEE halves
  int64_t stride = 0, n_kv = 0, n_tokens = 0, n_head = 0, n_head_kv = 0, head_dim = 0;
  float scale = 1.0f;
  float* out = nullptr;         // like q
};

// Shared memory one block needs: the query and a score per visible position.
size_t AttentionSharedBytes(int64_t head_dim, int64_t n_kv);
// The most shared memory a block may use without opting in.
constexpr size_t kAttentionSharedLimit = 48 * 1024;

void LaunchAttention(const DeviceAttention& a, cudaStream_t stream, const std::string& what);

}  // namespace bhasa::native::cuda
