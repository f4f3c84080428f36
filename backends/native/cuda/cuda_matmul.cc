#include "backends/native/cuda/cuda_matmul.h"

#include <climits>
#include <string>

#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/cuda_convert.h"
#include "backends/native/cuda/cuda_device.h"

namespace bhasa::native::cuda {

void Matmul(const TensorInfo& w, const float* x, int64_t n_tokens, float* out) {
  const int64_t rows = w.rows(), cols = w.cols();
  if (n_tokens <= 0 || rows <= 0) return;
  const std::string what = "matmul with " + w.name;
  if (rows > INT_MAX || cols > INT_MAX || n_tokens > INT_MAX)
    throw Error("CUDA " + what + ": " + std::to_string(rows) + "x" + std::to_string(cols) + " by " +
                std::to_string(n_tokens) + " tokens exceeds cuBLAS's int dimensions");
  CudaDevice* device = CudaDevice::Get();
  if (!device) throw Error("CUDA " + what + ": no CUDA device");
  auto ctx = device->contexts().Acquire();
  cudaStream_t stream = ctx->stream.get();
  const auto weight = device->weights().Get(w, stream);

  const size_t n_in = static_cast<size_t>(n_tokens) * cols, n_out = static_cast<size_t>(n_tokens) * rows;
  auto* x_dev = static_cast<float*>(ctx->x.Reserve(n_in * sizeof(float), what + ", activations"));
  Check(cudaMemcpyAsync(x_dev, x, n_in * sizeof(float), cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync", what);
  const void* b = x_dev;
  if (weight->dtype != CUDA_R_32F) {
    auto* x16 = static_cast<uint16_t*>(ctx->x_cvt.Reserve(n_in * sizeof(uint16_t), what + ", converted activations"));
    if (weight->dtype == CUDA_R_16BF) ConvertF32ToBf16(x_dev, static_cast<int64_t>(n_in), x16, stream, what);
    else ConvertF32ToF16(x_dev, static_cast<int64_t>(n_in), x16, stream, what);
    b = x16;
  }
  auto* out_dev = static_cast<float*>(ctx->out.Reserve(n_out * sizeof(float), what + ", output"));

  // In cuBLAS's column-major view the row-major W is Wc (cols x rows, ld
  // cols), x is Xc (cols x n_tokens, ld cols) and out is Oc (rows x n_tokens,
  // ld rows), so Oc = Wc^T * Xc. F32 weights use the pedantic f32 compute
  // type: no TF32 rounding.
  const float alpha = 1.0f, beta = 0.0f;
  const cublasComputeType_t compute =
      weight->dtype == CUDA_R_32F ? CUBLAS_COMPUTE_32F_PEDANTIC : CUBLAS_COMPUTE_32F;
  const int m = static_cast<int>(rows), n = static_cast<int>(n_tokens), k = static_cast<int>(cols);
  Check(cublasGemmEx(ctx->cublas.get(), CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, &alpha, weight->data.get(), weight->dtype,
                     k, b, weight->dtype, k, &beta, out_dev, CUDA_R_32F, m, compute, CUBLAS_GEMM_DEFAULT),
        "cublasGemmEx", what);
  Check(cudaMemcpyAsync(out, out_dev, n_out * sizeof(float), cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync",
        what);
  Check(cudaStreamSynchronize(stream), "cudaStreamSynchronize", what);
}

}  // namespace bhasa::native::cuda
