// Element-wise and row-wise forward-pass operations (see cuda_ops.h).
#include "backends/native/cuda/cuda_ops.h"

#include <cmath>

#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/grid_stride.cuh"
#include "backends/native/cuda/weight_elem.cuh"

namespace bhasa::native::cuda {
namespace {

constexpr int kThreads = kGridThreads;

__global__ void RmsNormKernel(const float* x, const float* weight, int64_t n, float eps, float* out) {
  __shared__ float partial[kThreads / 32];
  const float* row = x + blockIdx.x * n;
  float* dst = out + blockIdx.x * n;
  float sum = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) sum += row[i] * row[i];
  for (int o = 16; o > 0; o /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, o);
  if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = sum;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < kThreads / 32; ++w) total += partial[w];
  const float scale = 1.0f / sqrtf(total / static_cast<float>(n) + eps);
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) dst[i] = __fmul_rn(__fmul_rn(row[i], scale), weight[i]);
}

// One thread per rotated pair.
__global__ void RopeKernel(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* pos,
                           DeviceRope p, float theta_scale) {
  const int64_t half = p.rope_dim / 2;
  BHASA_GRID_STRIDE(k, n_tokens * n_heads * half) {
    const int64_t i = k % half, th = k / half, t = th / n_heads;
    // ggml's rope cache: theta = pos * theta_scale^i by repeated multiplication.
    float theta = static_cast<float>(pos[t]);
    for (int64_t j = 0; j < i; ++j) theta = __fmul_rn(theta, theta_scale);
    const float angle = p.freq_factors ? theta / p.freq_factors[i] : theta;
    const float c = cosf(angle), s = sinf(angle);
    float* head = x + th * head_dim;
    const int64_t a = p.neox ? i : 2 * i, b = p.neox ? i + half : 2 * i + 1;
    const float x0 = head[a], x1 = head[b];
    head[a] = __fmul_rn(x0, c) - __fmul_rn(x1, s);
    head[b] = __fmul_rn(x0, s) + __fmul_rn(x1, c);
  }
}

__global__ void SwigluKernel(const float* gate, const float* up, int64_t n, float* out) {
  BHASA_GRID_STRIDE(i, n) {
    const float g = gate[i];
    out[i] = __fmul_rn(g / (1.0f + expf(-g)), up[i]);
  }
}

__global__ void GegluKernel(const float* gate, const float* up, int64_t n, float* out) {
  constexpr float kSqrt2OverPi = 0.79788456080286535588f, kCoef = 0.044715f;
  BHASA_GRID_STRIDE(i, n) {
    const float g = gate[i];
    // ggml's GELU is exactly 0 below -10 and the identity above 10.
    const float gelu = g <= -10.0f ? 0.0f
                       : g >= 10.0f ? g
                                    : 0.5f * g * (1.0f + tanhf(kSqrt2OverPi * g * (1.0f + kCoef * g * g)));
    out[i] = __fmul_rn(gelu, up[i]);
  }
}

__global__ void ScaleKernel(float* x, int64_t n, float s) {
  BHASA_GRID_STRIDE(i, n) x[i] = __fmul_rn(x[i], s);
}

__global__ void SoftcapKernel(float* x, int64_t n, float cap) {
  const float inv = 1.0f / cap;
  BHASA_GRID_STRIDE(i, n) x[i] = __fmul_rn(tanhf(__fmul_rn(x[i], inv)), cap);
}

__global__ void AddKernel(float* acc, const float* x, int64_t n) {
  BHASA_GRID_STRIDE(i, n) acc[i] += x[i];
}

template <typename Elem>
__global__ void GetRowsKernel(const uint8_t* w, size_t row_bytes, int64_t cols, const int32_t* ids, float* out) {
  const uint8_t* row = w + static_cast<int64_t>(ids[blockIdx.x]) * row_bytes;
  float* dst = out + blockIdx.x * cols;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) dst[c] = Elem::At(row, c);
}

void Launched(const char* kernel, const std::string& what) { Check(cudaGetLastError(), kernel, what); }

}  // namespace

void RmsNorm(const float* x, const float* weight, int64_t n_rows, int64_t n, float eps, float* out,
             cudaStream_t stream, const std::string& what) {
  if (n_rows <= 0 || n <= 0) return;
  RmsNormKernel<<<static_cast<unsigned>(n_rows), kThreads, 0, stream>>>(x, weight, n, eps, out);
  Launched("RMSNorm launch", what);
}

void Rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* pos, const DeviceRope& p,
          cudaStream_t stream, const std::string& what) {
  const int64_t pairs = n_tokens * n_heads * (p.rope_dim / 2);
  if (pairs <= 0) return;
  // Computed on the host with std::pow, as the CPU rope cache does.
  const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.rope_dim));
  RopeKernel<<<GridBlocks(pairs), kThreads, 0, stream>>>(x, n_tokens, n_heads, head_dim, pos, p, theta_scale);
  Launched("RoPE launch", what);
}

void Swiglu(const float* gate, const float* up, int64_t n, float* out, cudaStream_t stream, const std::string& what) {
  if (n <= 0) return;
  SwigluKernel<<<GridBlocks(n), kThreads, 0, stream>>>(gate, up, n, out);
  Launched("SwiGLU launch", what);
}

void Geglu(const float* gate, const float* up, int64_t n, float* out, cudaStream_t stream, const std::string& what) {
  if (n <= 0) return;
  GegluKernel<<<GridBlocks(n), kThreads, 0, stream>>>(gate, up, n, out);
  Launched("GeGLU launch", what);
}

void Scale(float* x, int64_t n, float s, cudaStream_t stream, const std::string& what) {
  if (n <= 0) return;
  ScaleKernel<<<GridBlocks(n), kThreads, 0, stream>>>(x, n, s);
  Launched("scale launch", what);
}

void Softcap(float* x, int64_t n, float cap, cudaStream_t stream, const std::string& what) {
  if (n <= 0) return;
  SoftcapKernel<<<GridBlocks(n), kThreads, 0, stream>>>(x, n, cap);
  Launched("soft-cap launch", what);
}

void Add(float* acc, const float* x, int64_t n, cudaStream_t stream, const std::string& what) {
  if (n <= 0) return;
  AddKernel<<<GridBlocks(n), kThreads, 0, stream>>>(acc, x, n);
  Launched("add launch", what);
}

void CheckRowIds(const DeviceMatrix& w, const int32_t* ids, int64_t n, const std::string& what) {
  for (int64_t i = 0; i < n; ++i)
    if (ids[i] < 0 || ids[i] >= w.rows)
      throw Error("token id " + std::to_string(ids[i]) + " outside " + what + " rows [0, " + std::to_string(w.rows) +
                  ")");
}

void GetRows(const DeviceMatrix& w, const int32_t* ids, int64_t n, float* out, cudaStream_t stream,
             const std::string& what) {
  if (n <= 0) return;
  const bool launched = DispatchElem(w.type, [&](auto elem) {
    GetRowsKernel<decltype(elem)><<<static_cast<unsigned>(n), kThreads, 0, stream>>>(
        static_cast<const uint8_t*>(w.data), w.row_bytes, w.cols, ids, out);
  });
  if (!launched) throw Error("CUDA get_rows (" + what + "): no device decoder for type " + TypeName(w.type));
  Launched("get_rows launch", what);
}

}  // namespace bhasa::native::cuda
