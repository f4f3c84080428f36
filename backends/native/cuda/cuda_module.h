// The entry points of libbhasa_cuda.so, the CUDA kernels built as a module
// that device.cc loads with dlopen only when --device cuda is asked for, so a
// CPU-only process never maps cudart or cuBLAS (their initializers alone cost
// every process about 0.12 s and 220 MB).
//
// The module is built from backends/native/cuda/ by the same compiler as the
// executable and resolves CpuKernels() and the other bhasa symbols from the
// executable that loads it (built with ENABLE_EXPORTS), so std::string and
// Kernels cross the boundary as they are. No CUDA headers here.
#pragma once

#include <cstddef>
#include <string>

#include "backends/native/kernels.h"
#include "backends/native/llama_model.h"
#include "backends/native/paged_step.h"

// File name of the module, looked up next to the executable (cuda_loader.cc).
#define BHASA_CUDA_MODULE_FILE "libbhasa_cuda.so"

extern "C" {
// CudaKernelsOrNull (cuda_kernels.h): the table, or nullptr with *why set.
const bhasa::native::Kernels* bhasa_cuda_kernels(std::string* why);
// CudaDeviceSummary (cuda_kernels.h) into *out.
void bhasa_cuda_device_summary(std::string* out);
// CudaDeviceMemoryBytes (cuda_kernels.h).
size_t bhasa_cuda_device_memory_bytes();
// MakeCudaForward (cuda/cuda_forward.h), released to the caller; throws its errors.
bhasa::native::DeviceForward* bhasa_cuda_create_forward(const bhasa::native::Model* model,
                                                        const bhasa::native::DeviceForwardOptions* options);
}
