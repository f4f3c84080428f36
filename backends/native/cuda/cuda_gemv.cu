// Decode GEMV on resident block-format weights (see cuda_gemv.h). One
// thread block per weight row: its threads take the row's 32-element units
// in turn, keep one partial sum per activation row and reduce them at the
// end, so each weight byte is read once per call whatever n_tokens is.
#include "backends/native/cuda/cuda_gemv.h"

#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/dequant_elem.h"
#include "backends/native/cuda/vec_dot_q8_1.h"
#include "backends/native/cuda/weight_elem.cuh"

namespace bhasa::native::cuda {
namespace {

namespace el = bhasa::native::cuda_elem;
namespace q = bhasa::native::quant;

constexpr int kThreads = 128;

// ---- per-type access: units for dp4a, elements for the float path ----------

struct DotQ8_0 {
  __device__ static float Unit(const uint8_t* row, int64_t u, const el::BlockQ8_1& x) {
    return el::DotQ8_0(reinterpret_cast<const q::BlockQ8_0*>(row)[u], x);
  }
};
struct DotQ4_0 {
  __device__ static float Unit(const uint8_t* row, int64_t u, const el::BlockQ8_1& x) {
    return el::DotQ4_0(reinterpret_cast<const q::BlockQ4_0*>(row)[u], x);
  }
};
struct DotQ4_K {
  __device__ static float Unit(const uint8_t* row, int64_t u, const el::BlockQ8_1& x) {
    return el::DotQ4_K(reinterpret_cast<const q::BlockQ4_K*>(row)[u / 8], static_cast<int>(u % 8), x);
  }
};
struct DotQ6_K {
  __device__ static float Unit(const uint8_t* row, int64_t u, const el::BlockQ8_1& x) {
    return el::DotQ6_K(reinterpret_cast<const q::BlockQ6_K*>(row)[u / 8], static_cast<int>(u % 8), x);
  }
};


// Sums v over the thread block; thread 0 gets the result.
__device__ float BlockSum(float v, float* scratch) {
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // scratch may still be read from the previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float r = 0.0f;
  if (threadIdx.x == 0)
    for (int w = 0; w < kThreads / 32; ++w) r += scratch[w];
  return r;
}

__global__ void QuantizeKernel(const float* x, int64_t n_blocks, el::BlockQ8_1* out) {
  const int64_t b = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (b < n_blocks) el::QuantizeQ8_1(x + b * el::kQK8_1, out + b);
}

template <typename Dot>
__global__ void GemvDp4aKernel(const uint8_t* w, size_t row_bytes, int64_t rows, int64_t units,
                               const el::BlockQ8_1* xq, int n_tokens, float* out) {
  __shared__ float scratch[kThreads / 32];
  const int64_t r = blockIdx.x;
  const uint8_t* row = w + r * row_bytes;
  float acc[kGemvMaxTokens] = {};
  for (int64_t u = threadIdx.x; u < units; u += blockDim.x)
    for (int t = 0; t < n_tokens; ++t) acc[t] += Dot::Unit(row, u, xq[t * units + u]);
  for (int t = 0; t < n_tokens; ++t) {
    const float sum = BlockSum(acc[t], scratch);
    if (threadIdx.x == 0) out[t * rows + r] = sum;
  }
}

template <typename Elem>
__global__ void GemvFloatKernel(const uint8_t* w, size_t row_bytes, int64_t rows, int64_t cols, const float* x,
                                int n_tokens, float* out) {
  __shared__ float scratch[kThreads / 32];
  const int64_t r = blockIdx.x;
  const uint8_t* row = w + r * row_bytes;
  float acc[kGemvMaxTokens] = {};
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float wv = Elem::At(row, c);
    for (int t = 0; t < n_tokens; ++t) acc[t] = fmaf(wv, x[t * cols + c], acc[t]);
  }
  for (int t = 0; t < n_tokens; ++t) {
    const float sum = BlockSum(acc[t], scratch);
    if (threadIdx.x == 0) out[t * rows + r] = sum;
  }
}

void CheckShape(const DeviceMatrix& w, int64_t n_tokens, const std::string& what) {
  if (n_tokens < 0 || n_tokens > kGemvMaxTokens)
    throw Error("CUDA GEMV (" + what + "): " + std::to_string(n_tokens) + " activation rows, at most " +
                std::to_string(kGemvMaxTokens));
  if (w.rows > 0x7FFFFFFF)
    throw Error("CUDA GEMV (" + what + "): " + std::to_string(w.rows) + " rows exceed one grid dimension");
  if (GemvUsesDp4a(w.type) && w.cols % el::kQK8_1 != 0)
    throw Error("CUDA GEMV (" + what + "): " + std::to_string(w.cols) + " columns are not a multiple of 32");
}

template <typename Dot>
void LaunchDp4a(const DeviceMatrix& w, const float* x, int64_t n_tokens, float* out, void* scratch,
                cudaStream_t stream, const std::string& what) {
  const int64_t units = w.cols / el::kUnit, n_blocks = n_tokens * units;
  auto* xq = static_cast<el::BlockQ8_1*>(scratch);
  QuantizeKernel<<<static_cast<unsigned>((n_blocks + kThreads - 1) / kThreads), kThreads, 0, stream>>>(x, n_blocks,
                                                                                                         xq);
  Check(cudaGetLastError(), "Q8_1 activation quantization launch", what);
  GemvDp4aKernel<Dot><<<static_cast<unsigned>(w.rows), kThreads, 0, stream>>>(
      static_cast<const uint8_t*>(w.data), w.row_bytes, w.rows, units, xq, static_cast<int>(n_tokens), out);
  Check(cudaGetLastError(), "dp4a GEMV launch", what);
}

template <typename Elem>
void LaunchFloat(const DeviceMatrix& w, const float* x, int64_t n_tokens, float* out, cudaStream_t stream,
                 const std::string& what) {
  GemvFloatKernel<Elem><<<static_cast<unsigned>(w.rows), kThreads, 0, stream>>>(
      static_cast<const uint8_t*>(w.data), w.row_bytes, w.rows, w.cols, x, static_cast<int>(n_tokens), out);
  Check(cudaGetLastError(), "GEMV launch", what);
}

}  // namespace

bool GemvUsesDp4a(GgmlType type) {
  return type == GgmlType::Q4_0 || type == GgmlType::Q8_0 || type == GgmlType::Q4_K || type == GgmlType::Q6_K;
}

bool DeviceMatmulSupports(GgmlType type) {
  switch (type) {
    case GgmlType::F32: case GgmlType::F16: case GgmlType::BF16: case GgmlType::Q4_0: case GgmlType::Q5_0:
    case GgmlType::Q8_0: case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::Q4_K: case GgmlType::Q5_K:
    case GgmlType::Q6_K:
      return true;
    default:
      return false;
  }
}

size_t GemvScratchBytes(GgmlType type, int64_t cols, int64_t n_tokens) {
  if (!GemvUsesDp4a(type)) return 0;
  return static_cast<size_t>(n_tokens * (cols / el::kQK8_1)) * sizeof(el::BlockQ8_1);
}

void Gemv(const DeviceMatrix& w, const float* x, int64_t n_tokens, float* out, void* scratch, cudaStream_t stream,
          const std::string& what) {
  CheckShape(w, n_tokens, what);
  if (n_tokens == 0 || w.rows == 0) return;
  switch (w.type) {
    case GgmlType::Q8_0: return LaunchDp4a<DotQ8_0>(w, x, n_tokens, out, scratch, stream, what);
    case GgmlType::Q4_0: return LaunchDp4a<DotQ4_0>(w, x, n_tokens, out, scratch, stream, what);
    case GgmlType::Q4_K: return LaunchDp4a<DotQ4_K>(w, x, n_tokens, out, scratch, stream, what);
    case GgmlType::Q6_K: return LaunchDp4a<DotQ6_K>(w, x, n_tokens, out, scratch, stream, what);
    default:
      break;
  }
  const bool launched =
      DispatchElem(w.type, [&](auto elem) { LaunchFloat<decltype(elem)>(w, x, n_tokens, out, stream, what); });
  if (!launched)
    throw Error("CUDA GEMV (" + what + "): no device kernel for weight type " + std::string(TypeName(w.type)));
}

}  // namespace bhasa::native::cuda
