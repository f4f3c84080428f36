// One block per (query row, head): scores over the visible positions (all
// earlier ones, or the window; through a block table for a paged cache) into
// shared memory, a block-wide max and sum for the softmax, then each thread
// sums probabilities · V for some of the head's dimensions. An f16 cache
// rounds the query and the probabilities to f16 first, as ggml (and the CPU
// tables) do.
#include "backends/native/cuda/cuda_attention_kernel.h"

#include <cuda_fp16.h>

#include "backends/native/cuda/cuda_check.h"

namespace bhasa::native::cuda {
namespace {

constexpr int kThreads = 128;

__device__ float KvAt(const void* base, bool f16, int64_t i) {
  return f16 ? __half2float(static_cast<const __half*>(base)[i]) : static_cast<const float*>(base)[i];
}

// Cache row of position j: itself, or its slot in the block the table names.
__device__ int64_t CacheRow(const int32_t* table, int64_t block_tokens, int64_t j) {
  return table ? static_cast<int64_t>(table[j / block_tokens]) * block_tokens + j % block_tokens : j;
}

__device__ float RoundIf(bool f16, float x) { return f16 ? __half2float(__float2half_rn(x)) : x; }

// Block-wide reduction; every thread gets the result.
template <bool kMax>
__device__ float BlockReduce(float x, float* scratch) {
  for (int o = 16; o > 0; o /= 2) {
    const float y = __shfl_xor_sync(0xffffffffu, x, o);
    x = kMax ? fmaxf(x, y) : x + y;
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) scratch[warp] = x;
  __syncthreads();
  float r = scratch[0];
  for (int w = 1; w < kThreads / 32; ++w) r = kMax ? fmaxf(r, scratch[w]) : r + scratch[w];
  __syncthreads();
  return r;
}

__global__ void AttentionKernel(DeviceAttention a) {
  extern __shared__ float shared[];
  __shared__ float scratch[kThreads / 32];
  const int64_t t = blockIdx.x / a.n_head, h = blockIdx.x % a.n_head;
  const int64_t hd = a.head_dim, kv_off = (h / (a.n_head / a.n_head_kv)) * hd;
  const int64_t n = static_cast<int64_t>(a.pos[t]) + 1;
  const int64_t first = a.window > 0 && n > a.window ? n - a.window : 0;
  const int32_t* table = a.block_table ? a.block_table + t * a.table_stride : nullptr;
  float* q = shared;         // head_dim
  float* p = shared + hd;    // scores for positions first..n-1, then probabilities
  const float* qrow = a.q + (t * a.n_head + h) * hd;
  for (int64_t d = threadIdx.x; d < hd; d += blockDim.x) q[d] = RoundIf(a.f16, qrow[d]);
  __syncthreads();

  float local_max = -INFINITY;
  for (int64_t j = first + threadIdx.x; j < n; j += blockDim.x) {
    const int64_t row = CacheRow(table, a.block_tokens, j);
    float s = 0.0f;
    for (int64_t d = 0; d < hd; ++d) s = fmaf(q[d], KvAt(a.k, a.f16, row * a.stride + kv_off + d), s);
    if (a.softcap > 0.0f) s = tanhf(s * (1.0f / a.softcap)) * a.softcap;
    p[j - first] = s * a.scale;
    local_max = fmaxf(local_max, p[j - first]);
  }
  const float max = BlockReduce<true>(local_max, scratch);
  float local_sum = 0.0f;
  for (int64_t j = threadIdx.x; j < n - first; j += blockDim.x) {
    p[j] = expf(p[j] - max);
    local_sum += p[j];
  }
  const float inv = 1.0f / BlockReduce<false>(local_sum, scratch);
  for (int64_t j = threadIdx.x; j < n - first; j += blockDim.x) p[j] = RoundIf(a.f16, p[j] * inv);
  __syncthreads();

  float* out = a.out + (t * a.n_head + h) * hd;
  for (int64_t d = threadIdx.x; d < hd; d += blockDim.x) {
    float acc = 0.0f;
    for (int64_t j = first; j < n; ++j)
      acc = fmaf(p[j - first], KvAt(a.v, a.f16, CacheRow(table, a.block_tokens, j) * a.stride + kv_off + d), acc);
    out[d] = acc;
  }
}

}  // namespace

size_t AttentionSharedBytes(int64_t head_dim, int64_t n_kv) {
  return static_cast<size_t>(head_dim + n_kv) * sizeof(float);
}

void LaunchAttention(const DeviceAttention& a, cudaStream_t stream, const std::string& what) {
  if (a.n_tokens <= 0) return;
  const unsigned blocks = static_cast<unsigned>(a.n_tokens * a.n_head);
  AttentionKernel<<<blocks, kThreads, AttentionSharedBytes(a.head_dim, a.n_kv), stream>>>(a);
  Check(cudaGetLastError(), "attention kernel launch", what);
}

}  // namespace bhasa::native::cuda
