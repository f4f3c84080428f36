// Row-wise argmax (see cuda_sample.h): each thread scans a strided part of
// the row, then a shared-memory tree keeps the larger value, or the lower id
// on a tie.
#include "backends/native/cuda/cuda_sample.h"

#include "backends/native/cuda/cuda_check.h"

namespace bhasa::native::cuda {
namespace {

constexpr int kThreads = 256;

// Whether candidate (v, i) beats (best_v, best); best < 0 means none yet.
__device__ bool Better(float v, int32_t i, float best_v, int32_t best) {
  if (i < 0) return false;
  if (best < 0) return true;
  return v > best_v || (v == best_v && i < best);
}

__global__ void ArgmaxKernel(const float* logits, int64_t n_vocab, int32_t* ids) {
  __shared__ float values[kThreads];
  __shared__ int32_t index[kThreads];
  const float* row = logits + blockIdx.x * n_vocab;
  float best_v = 0.0f;
  int32_t best = -1;
  for (int64_t i = threadIdx.x; i < n_vocab; i += blockDim.x) {
    const float v = row[i];
    if (!isnan(v) && Better(v, static_cast<int32_t>(i), best_v, best)) {
      best_v = v;
      best = static_cast<int32_t>(i);
    }
  }
  values[threadIdx.x] = best_v;
  index[threadIdx.x] = best;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) {
      const int other = threadIdx.x + stride;
      if (Better(values[other], index[other], values[threadIdx.x], index[threadIdx.x])) {
        values[threadIdx.x] = values[other];
        index[threadIdx.x] = index[other];
      }
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) ids[blockIdx.x] = index[0];
}

}  // namespace

void ArgmaxRows(const float* logits, int64_t n_rows, int64_t n_vocab, int32_t* ids, cudaStream_t stream,
                const std::string& what) {
  if (n_rows <= 0) return;
  ArgmaxKernel<<<static_cast<unsigned>(n_rows), kThreads, 0, stream>>>(logits, n_vocab, ids);
  Check(cudaGetLastError(), "argmax launch", what);
}

}  // namespace bhasa::native::cuda
