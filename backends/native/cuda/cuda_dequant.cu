// Quantized weight blocks → f16 on the GPU (see cuda_dequant.h). One thread
// per output element: this runs once per tensor when it is first uploaded,
// so clarity wins over the last bit of bandwidth.
#include "backends/native/cuda/cuda_dequant.h"

#include <cuda_fp16.h>

#include "backends/native/cuda/cuda_check.h"
#include "backends/native/cuda/dequant_elem.h"

namespace bhasa::native::cuda {
namespace {

namespace el = bhasa::native::cuda_elem;
namespace q = bhasa::native::quant;

constexpr int kThreads = 256;

// A block type, its element count and its element decoder.
#define BHASA_DECODER(Name, BlockT, QK, Fn)                                   \
  struct Name {                                                               \
    using Block = BlockT;                                                     \
    static constexpr int kQK = QK;                                            \
    __device__ static float Decode(const Block& b, int e) { return Fn(b, e); } \
  };
BHASA_DECODER(DecQ4_0, q::BlockQ4_0, q::kQK4_0, el::DecodeQ4_0)
BHASA_DECODER(DecQ5_0, q::BlockQ5_0, q::kQK5_0, el::DecodeQ5_0)
BHASA_DECODER(DecQ8_0, q::BlockQ8_0, q::kQK8_0, el::DecodeQ8_0)
BHASA_DECODER(DecQ2_K, q::BlockQ2_K, q::kQK_K, el::DecodeQ2_K)
BHASA_DECODER(DecQ3_K, q::BlockQ3_K, q::kQK_K, el::DecodeQ3_K)
BHASA_DECODER(DecQ4_K, q::BlockQ4_K, q::kQK_K, el::DecodeQ4_K)
BHASA_DECODER(DecQ5_K, q::BlockQ5_K, q::kQK_K, el::DecodeQ5_K)
BHASA_DECODER(DecQ6_K, q::BlockQ6_K, q::kQK_K, el::DecodeQ6_K)
#undef BHASA_DECODER

template <typename Dec>
__global__ void DequantKernel(const uint8_t* src, int64_t rows, int64_t cols, size_t row_bytes, __half* dst) {
  const int64_t n = rows * cols;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < n; i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / cols, c = i % cols;
    const auto* blocks = reinterpret_cast<const typename Dec::Block*>(src + r * row_bytes);
    dst[i] = __float2half_rn(Dec::Decode(blocks[c / Dec::kQK], static_cast<int>(c % Dec::kQK)));
  }
}

template <typename Dec>
void Launch(const void* src, int64_t rows, int64_t cols, size_t row_bytes, uint16_t* dst, cudaStream_t stream,
            const std::string& what) {
  const int64_t n = rows * cols;
  const int64_t want = (n + kThreads - 1) / kThreads;
  const unsigned blocks = static_cast<unsigned>(want < 65535 ? (want > 0 ? want : 1) : 65535);
  DequantKernel<Dec><<<blocks, kThreads, 0, stream>>>(static_cast<const uint8_t*>(src), rows, cols, row_bytes,
                                                      reinterpret_cast<__half*>(dst));
  Check(cudaGetLastError(), "dequantize kernel launch", what);
}

}  // namespace

bool HasDeviceDequantizer(GgmlType type) {
  switch (type) {
    case GgmlType::Q4_0: case GgmlType::Q5_0: case GgmlType::Q8_0: case GgmlType::Q2_K:
    case GgmlType::Q3_K: case GgmlType::Q4_K: case GgmlType::Q5_K: case GgmlType::Q6_K:
      return true;
    default:
      return false;
  }
}

void DequantizeToF16(GgmlType type, const void* src, int64_t rows, int64_t cols, size_t row_bytes, uint16_t* dst,
                     cudaStream_t stream, const std::string& what) {
  if (rows <= 0 || cols <= 0) return;
  switch (type) {
    case GgmlType::Q4_0: return Launch<DecQ4_0>(src, rows, cols, row_bytes, dst, stream, what);
    case GgmlType::Q5_0: return Launch<DecQ5_0>(src, rows, cols, row_bytes, dst, stream, what);
    case GgmlType::Q8_0: return Launch<DecQ8_0>(src, rows, cols, row_bytes, dst, stream, what);
    case GgmlType::Q2_K: return Launch<DecQ2_K>(src, rows, cols, row_bytes, dst, stream, what);
    case GgmlType::Q3_K: return Launch<DecQ3_K>(src, rows, cols, row_bytes, dst, stream, what);
    case GgmlType::Q4_K: return Launch<DecQ4_K>(src, rows, cols, row_bytes, dst, stream, what);
    case GgmlType::Q5_K: return Launch<DecQ5_K>(src, rows, cols, row_bytes, dst, stream, what);
    case GgmlType::Q6_K: return Launch<DecQ6_K>(src, rows, cols, row_bytes, dst, stream, what);
    default:
      throw Error("CUDA: no device dequantizer for type " + std::string(TypeName(type)) + " (" + what + ")");
  }
}

}  // namespace bhasa::native::cuda
