// Paged-cache writes, row gathers, row biases and row sampling (cuda_paged.h).
#include "backends/native/cuda/cuda_paged.h"

#include <cuda_fp16.h>

#include <cub/device/device_segmented_radix_sort.cuh>

#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/grid_stride.cuh"
#include "backends/native/cuda/cuda_sample.h"

namespace bhasa::native::cuda {
namespace {

constexpr int kThreads = kGridThreads;

__global__ void StoreKvKernel(const float* k, const float* v, const int32_t* slots, int64_t n, int64_t kv_dim,
                              __half* kc, __half* vc) {
  BHASA_GRID_STRIDE(i, n * kv_dim) {
    const int64_t row = i / kv_dim, d = i % kv_dim, at = static_cast<int64_t>(slots[row]) * kv_dim + d;
    kc[at] = __float2half_rn(k[i]);
    vc[at] = __float2half_rn(v[i]);
  }
}

__global__ void GatherRowsKernel(const float* src, const int32_t* rows, int64_t n, int64_t width, float* dst) {
  BHASA_GRID_STRIDE(i, n * width) dst[i] = src[static_cast<int64_t>(rows[i / width]) * width + i % width];
}

__global__ void AddRowVectorKernel(float* x, const float* vec, int64_t n, int64_t width) {
  BHASA_GRID_STRIDE(i, n) x[i] += vec[i % width];
}

// Sort keys (NaN as -inf, -0 as +0 so the radix order equals the host's
// comparison), ids in order, segment offsets and each row's NaN count.
__global__ void SortInputKernel(const float* logits, int64_t n_rows, int64_t n_vocab, float* keys, int32_t* ids,
                                int32_t* offsets, int32_t* nan_count) {
  const int64_t r = blockIdx.x;
  __shared__ int32_t nans;
  if (threadIdx.x == 0) nans = 0;
  __syncthreads();
  int32_t local = 0;
  for (int64_t i = threadIdx.x; i < n_vocab; i += blockDim.x) {
    float x = logits[r * n_vocab + i];
    if (isnan(x)) x = -INFINITY, ++local;
    keys[r * n_vocab + i] = x == 0.0f ? 0.0f : x;
    ids[r * n_vocab + i] = static_cast<int32_t>(i);
  }
  if (local) atomicAdd(&nans, local);
  __syncthreads();
  if (threadIdx.x == 0) {
    nan_count[r] = nans;
    offsets[r] = static_cast<int32_t>(r * n_vocab);
    if (r + 1 == n_rows) offsets[n_rows] = static_cast<int32_t>(n_rows * n_vocab);
  }
}

// One thread per row: the draw over the sorted row; greedy rows keep their argmax.
__global__ void PickKernel(const float* sorted, const int32_t* sorted_ids, const int32_t* nan_count, int64_t n_rows,
                           int64_t n_vocab, const RowSample* samples, int32_t* ids) {
  const int64_t r = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (r >= n_rows || samples[r].cut.temperature <= 0.0f) return;
  const int64_t n = n_vocab - nan_count[r];
  if (n <= 0) {
    ids[r] = 0;  // as the host sampler answers a row with no number
    return;
  }
  const int64_t at = PickSorted(sorted + r * n_vocab, n, samples[r].cut, samples[r].u);
  ids[r] = sorted_ids[r * n_vocab + at];
}

struct SortScratch {
  float* keys_in;
  float* keys_out;
  int32_t* ids_in;
  int32_t* ids_out;
  int32_t* offsets;
  int32_t* nan_count;
  void* cub;
  size_t cub_bytes;
};

size_t AlignUp(size_t n) { return (n + 255) / 256 * 256; }

size_t CubBytes(int64_t n_rows, int64_t n_vocab) {
  size_t bytes = 0;
  cub::DeviceSegmentedRadixSort::SortPairsDescending(nullptr, bytes, static_cast<const float*>(nullptr),
                                                     static_cast<float*>(nullptr), static_cast<const int32_t*>(nullptr),
                                                     static_cast<int32_t*>(nullptr), static_cast<int>(n_rows * n_vocab),
                                                     static_cast<int>(n_rows), static_cast<const int32_t*>(nullptr),
                                                     static_cast<const int32_t*>(nullptr));
  return bytes;
}

SortScratch Layout(void* base, int64_t n_rows, int64_t n_vocab) {
  auto* p = static_cast<uint8_t*>(base);
  const size_t cells = static_cast<size_t>(n_rows * n_vocab) * 4;
  SortScratch s;
  s.keys_in = reinterpret_cast<float*>(p), p += AlignUp(cells);
  s.keys_out = reinterpret_cast<float*>(p), p += AlignUp(cells);
  s.ids_in = reinterpret_cast<int32_t*>(p), p += AlignUp(cells);
  s.ids_out = reinterpret_cast<int32_t*>(p), p += AlignUp(cells);
  s.offsets = reinterpret_cast<int32_t*>(p), p += AlignUp((n_rows + 1) * 4);
  s.nan_count = reinterpret_cast<int32_t*>(p), p += AlignUp(n_rows * 4);
  s.cub = p;
  s.cub_bytes = CubBytes(n_rows, n_vocab);
  return s;
}

}  // namespace

void StoreKv(const float* k, const float* v, const int32_t* slots, int64_t n, int64_t kv_dim, void* k_cache,
             void* v_cache, cudaStream_t stream, const std::string& what) {
  if (n <= 0) return;
  StoreKvKernel<<<GridBlocks(n * kv_dim), kThreads, 0, stream>>>(k, v, slots, n, kv_dim, static_cast<__half*>(k_cache),
                                                              static_cast<__half*>(v_cache));
  Check(cudaGetLastError(), "store-kv launch", what);
}

void GatherRows(const float* src, const int32_t* rows, int64_t n, int64_t width, float* dst, cudaStream_t stream,
                const std::string& what) {
  if (n <= 0) return;
  GatherRowsKernel<<<GridBlocks(n * width), kThreads, 0, stream>>>(src, rows, n, width, dst);
  Check(cudaGetLastError(), "gather-rows launch", what);
}

void AddRowVector(float* x, const float* vec, int64_t n_rows, int64_t width, cudaStream_t stream,
                  const std::string& what) {
  if (n_rows <= 0) return;
  AddRowVectorKernel<<<GridBlocks(n_rows * width), kThreads, 0, stream>>>(x, vec, n_rows * width, width);
  Check(cudaGetLastError(), "add-row-vector launch", what);
}

size_t SampleScratchBytes(int64_t n_rows, int64_t n_vocab) {
  const size_t cells = static_cast<size_t>(n_rows * n_vocab) * 4;
  return 4 * AlignUp(cells) + AlignUp((n_rows + 1) * 4) + AlignUp(n_rows * 4) + CubBytes(n_rows, n_vocab);
}

void SampleRows(const float* logits, int64_t n_rows, int64_t n_vocab, const RowSample* samples, bool stochastic,
                int32_t* ids, void* scratch, cudaStream_t stream, const std::string& what) {
  if (n_rows <= 0) return;
  ArgmaxRows(logits, n_rows, n_vocab, ids, stream, what);
  if (!stochastic) return;
  SortScratch s = Layout(scratch, n_rows, n_vocab);
  SortInputKernel<<<static_cast<unsigned>(n_rows), kThreads, 0, stream>>>(logits, n_rows, n_vocab, s.keys_in,
                                                                          s.ids_in, s.offsets, s.nan_count);
  Check(cudaGetLastError(), "sort-input launch", what);
  Check(cub::DeviceSegmentedRadixSort::SortPairsDescending(s.cub, s.cub_bytes, s.keys_in, s.keys_out, s.ids_in,
                                                           s.ids_out, static_cast<int>(n_rows * n_vocab),
                                                           static_cast<int>(n_rows), s.offsets, s.offsets + 1, 0,
                                                           static_cast<int>(sizeof(float) * 8), stream),
        "cub::DeviceSegmentedRadixSort::SortPairsDescending", what);
  PickKernel<<<GridBlocks(n_rows), kThreads, 0, stream>>>(s.keys_out, s.ids_out, s.nan_count, n_rows, n_vocab, samples,
                                                      ids);
  Check(cudaGetLastError(), "pick launch", what);
}

}  // namespace bhasa::native::cuda
