// Status checks for CUDA runtime and cuBLAS calls inside backends/native/cuda:
// a failed call becomes a bhasa::Error naming the call, what it was doing
// (usually the tensor) and the library's own error string. Internal to the
// cuda folder; includes the CUDA headers that cuda_kernels.h keeps out.
#pragma once

#include <string>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "common/error.h"

namespace bhasa::native::cuda {

// Throws Error("CUDA <call> failed (<context>): <reason>") unless status is success.
inline void Check(cudaError_t status, const char* call, const std::string& context) {
  if (status == cudaSuccess) return;
  throw Error(std::string("CUDA ") + call + " failed (" + context + "): " + cudaGetErrorString(status));
}

inline void Check(cublasStatus_t status, const char* call, const std::string& context) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw Error(std::string("cuBLAS ") + call + " failed (" + context + "): " + cublasGetStatusString(status));
}

}  // namespace bhasa::native::cuda
