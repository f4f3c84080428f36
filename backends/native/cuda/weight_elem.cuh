// Device access to one element of a block-format weight row, for every type
// with a device decoder, and a dispatch from GgmlType to that access. Shared
// by the GEMV's float path and get_rows. Internal to the cuda folder; CUDA
// only (include from .cu files).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "backends/native/cuda/dequant_elem.h"
#include "backends/native/ggml_types.h"

namespace bhasa::native::cuda {

struct ElemF32 {
  __device__ static float At(const uint8_t* row, int64_t c) { return reinterpret_cast<const float*>(row)[c]; }
};
struct ElemF16 {
  __device__ static float At(const uint8_t* row, int64_t c) {
    return __half2float(reinterpret_cast<const __half*>(row)[c]);
  }
};
struct ElemBf16 {
  __device__ static float At(const uint8_t* row, int64_t c) {
    return __bfloat162float(reinterpret_cast<const __nv_bfloat16*>(row)[c]);
  }
};
#define BHASA_ELEM(Name, BlockT, QK, Fn)                                                          \
  struct Name {                                                                                   \
    __device__ static float At(const uint8_t* row, int64_t c) {                                   \
      return Fn(reinterpret_cast<const BlockT*>(row)[c / (QK)], static_cast<int>(c % (QK)));      \
    }                                                                                             \
  };
BHASA_ELEM(ElemQ4_0, quant::BlockQ4_0, quant::kQK4_0, cuda_elem::DecodeQ4_0)
BHASA_ELEM(ElemQ5_0, quant::BlockQ5_0, quant::kQK5_0, cuda_elem::DecodeQ5_0)
BHASA_ELEM(ElemQ8_0, quant::BlockQ8_0, quant::kQK8_0, cuda_elem::DecodeQ8_0)
BHASA_ELEM(ElemQ2_K, quant::BlockQ2_K, quant::kQK_K, cuda_elem::DecodeQ2_K)
BHASA_ELEM(ElemQ3_K, quant::BlockQ3_K, quant::kQK_K, cuda_elem::DecodeQ3_K)
BHASA_ELEM(ElemQ4_K, quant::BlockQ4_K, quant::kQK_K, cuda_elem::DecodeQ4_K)
BHASA_ELEM(ElemQ5_K, quant::BlockQ5_K, quant::kQK_K, cuda_elem::DecodeQ5_K)
BHASA_ELEM(ElemQ6_K, quant::BlockQ6_K, quant::kQK_K, cuda_elem::DecodeQ6_K)
#undef BHASA_ELEM

// Calls f(ElemX{}) for the type's access; false when the type has none.
template <typename F>
bool DispatchElem(GgmlType type, F&& f) {
  switch (type) {
    case GgmlType::F32: f(ElemF32{}); return true;
    case GgmlType::F16: f(ElemF16{}); return true;
    case GgmlType::BF16: f(ElemBf16{}); return true;
    case GgmlType::Q4_0: f(ElemQ4_0{}); return true;
    case GgmlType::Q5_0: f(ElemQ5_0{}); return true;
    case GgmlType::Q8_0: f(ElemQ8_0{}); return true;
    case GgmlType::Q2_K: f(ElemQ2_K{}); return true;
    case GgmlType::Q3_K: f(ElemQ3_K{}); return true;
    case GgmlType::Q4_K: f(ElemQ4_K{}); return true;
    case GgmlType::Q5_K: f(ElemQ5_K{}); return true;
    case GgmlType::Q6_K: f(ElemQ6_K{}); return true;
    default: return false;
  }
}

}  // namespace bhasa::native::cuda
