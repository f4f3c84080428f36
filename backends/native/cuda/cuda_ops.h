// Element-wise and row-wise operations of the forward pass on device
// pointers: fused RMSNorm (normalize and multiply by the weight), RoPE
// (normal and neox, with llama3 frequency factors), SwiGLU, GeGLU, scale,
// soft-cap, residual add and embedding rows read from a resident weight.
// Each has its host twin in RefKernels (kernels.h), which
// tests/native/cuda_resident_test.cc compares it with. Internal to the cuda
// folder; C++17 so nvcc can compile it.
//
// Numerics: RMSNorm sums squares in f32 (the CPU twin in double); RoPE
// advances the angle by the same cumulative float product as ggml's rope
// cache; GeGLU evaluates the tanh formula in f32 where the CPU twin looks it
// up in ggml's f16 table.
//
// Thread-safety: enqueued on the caller's stream. Failure: throws
// bhasa::Error naming `what` for a failed launch; GetRows checks the ids on
// the host first and names the one out of range.
#pragma once

#include <cstdint>
#include <string>

#include <cuda_runtime_api.h>

#include "backends/native/cuda/device_matrix.h"

namespace bhasa::native::cuda {

// n_rows rows of n: out = x / sqrt(mean(x^2) + eps) * weight; out may alias x.
void RmsNorm(const float* x, const float* weight, int64_t n_rows, int64_t n, float eps, float* out,
             cudaStream_t stream, const std::string& what);

struct DeviceRope {
  int64_t rope_dim = 0;
  float freq_base = 10000.0f;
  const float* freq_factors = nullptr;  // device, rope_dim / 2 divisors, or null
  bool neox = false;
};
// In place on n_tokens rows of n_heads * head_dim; row t at position pos[t] (device).
void Rope(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int32_t* pos, const DeviceRope& p,
          cudaStream_t stream, const std::string& what);

void Swiglu(const float* gate, const float* up, int64_t n, float* out, cudaStream_t stream, const std::string& what);
void Geglu(const float* gate, const float* up, int64_t n, float* out, cudaStream_t stream, const std::string& what);
void Scale(float* x, int64_t n, float s, cudaStream_t stream, const std::string& what);
void Softcap(float* x, int64_t n, float cap, cudaStream_t stream, const std::string& what);
void Add(float* acc, const float* x, int64_t n, cudaStream_t stream, const std::string& what);

// Throws Error naming w and the id unless every host id is in [0, w.rows).
void CheckRowIds(const DeviceMatrix& w, const int32_t* ids, int64_t n, const std::string& what);
// out[i * cols ..] = row ids[i] of w as floats; ids on the device, checked by CheckRowIds.
void GetRows(const DeviceMatrix& w, const int32_t* ids, int64_t n, float* out, cudaStream_t stream,
             const std::string& what);

}  // namespace bhasa::native::cuda
