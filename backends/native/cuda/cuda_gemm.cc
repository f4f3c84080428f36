// Prompt-path product on resident weights (see cuda_gemv.h): quantized
// weights are dequantized to f16 a tile of rows at a time into scratch
// memory, so the GPU holds only the blocks plus one tile; F32, F16 and BF16
// weights are multiplied in place.
#include <algorithm>
#include <climits>

#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/cuda_convert.h"
#include "backends/native/cuda/cuda_dequant.h"
#include "backends/native/cuda/cuda_gemv.h"

namespace bhasa::native::cuda {
namespace {

// Scratch for one dequantized tile: large enough for cuBLAS to be efficient,
// small next to the weights of an 8B model.
constexpr size_t kTileBytes = size_t{64} << 20;
constexpr size_t kAlign = 256;

size_t AlignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

bool IsFloat(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }

int64_t TileRows(const DeviceMatrix& w) {
  const size_t row = static_cast<size_t>(w.cols) * sizeof(uint16_t);
  return std::clamp<int64_t>(static_cast<int64_t>(kTileBytes / std::max<size_t>(row, 1)), 1, w.rows);
}

}  // namespace

size_t GemmScratchBytes(const DeviceMatrix& w, int64_t n_tokens) {
  const size_t x16 = w.type == GgmlType::F32 ? 0 : AlignUp(static_cast<size_t>(n_tokens * w.cols) * sizeof(uint16_t));
  const size_t tile = IsFloat(w.type) ? 0 : static_cast<size_t>(TileRows(w) * w.cols) * sizeof(uint16_t);
  return x16 + tile;
}

void GemmPrompt(const DeviceMatrix& w, const float* x, int64_t n_tokens, float* out, void* scratch,
                cublasHandle_t cublas, cudaStream_t stream, const std::string& what) {
  if (n_tokens <= 0 || w.rows <= 0) return;
  if (!DeviceMatmulSupports(w.type))
    throw Error("CUDA GEMM (" + what + "): no device kernel for weight type " + std::string(TypeName(w.type)));
  if (w.rows > INT_MAX || w.cols > INT_MAX || n_tokens > INT_MAX)
    throw Error("CUDA GEMM (" + what + "): dimensions exceed cuBLAS's int range");

  // Activations in the weight's compute type.
  auto* base = static_cast<uint8_t*>(scratch);
  const void* b = x;
  cudaDataType_t dtype = CUDA_R_32F;
  if (w.type != GgmlType::F32) {
    auto* x16 = reinterpret_cast<uint16_t*>(base);
    if (w.type == GgmlType::BF16) {
      ConvertF32ToBf16(x, n_tokens * w.cols, x16, stream, what);
      dtype = CUDA_R_16BF;
    } else {
      ConvertF32ToF16(x, n_tokens * w.cols, x16, stream, what);
      dtype = CUDA_R_16F;
    }
    b = x16;
    base += AlignUp(static_cast<size_t>(n_tokens * w.cols) * sizeof(uint16_t));
  }

  // Column-major view as in cuda_matmul.cc: Oc (rows x n_tokens, ld rows) = Wc^T * Xc.
  const float alpha = 1.0f, beta = 0.0f;
  const cublasComputeType_t compute = dtype == CUDA_R_32F ? CUBLAS_COMPUTE_32F_PEDANTIC : CUBLAS_COMPUTE_32F;
  const int k = static_cast<int>(w.cols), n = static_cast<int>(n_tokens), ldc = static_cast<int>(w.rows);
  auto gemm = [&](const void* a, int64_t r0, int64_t m) {
    Check(cublasGemmEx(cublas, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(m), n, k, &alpha, a, dtype, k, b, dtype, k,
                       &beta, out + r0, CUDA_R_32F, ldc, compute, CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx", what);
  };
  if (IsFloat(w.type)) return gemm(w.data, 0, w.rows);

  auto* tile = reinterpret_cast<uint16_t*>(base);
  const int64_t tile_rows = TileRows(w);
  for (int64_t r0 = 0; r0 < w.rows; r0 += tile_rows) {
    const int64_t m = std::min(tile_rows, w.rows - r0);
    DequantizeToF16(w.type, static_cast<const uint8_t*>(w.data) + r0 * w.row_bytes, m, w.cols, w.row_bytes, tile,
                    stream, what);
    gemm(tile, r0, m);
  }
}

}  // namespace bhasa::native::cuda
