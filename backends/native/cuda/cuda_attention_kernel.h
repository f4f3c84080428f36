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
  int64_t window = 0;           // > 0: a query at p sees p - window + 1 .. p only
  float softcap = 0.0f;         // > 0: scores become softcap * tanh(s / softcap) before the scale
  // Paged cache: when set, position j of query row t lives in cache row
  // table[j / block_tokens] * block_tokens + j % block_tokens, where table =
  // block_table + t * table_stride (stride 0: every row shares one table).
  const int32_t* block_table = nullptr;
  int64_t block_tokens = 0, table_stride = 0;
};

// Shared memory one block needs: the query and a score per position up to n_kv.
size_t AttentionSharedBytes(int64_t head_dim, int64_t n_kv);
// The most shared memory a block may use without opting in.
constexpr size_t kAttentionSharedLimit = 48 * 1024;

void LaunchAttention(const DeviceAttention& a, cudaStream_t stream, const std::string& what);

}  // namespace bhasa::native::cuda
