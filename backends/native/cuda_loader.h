// Loads libbhasa_cuda.so (cuda/cuda_module.h) on first use. The module sits
// next to the executable in the build tree and in BHASA_CUDA_MODULE_FROM_BIN
// (relative to the executable's folder) once installed.
//
// Thread-safety: the first call loads the module under a once-flag; the
// functions may be called from any thread. Failure: never throws; nullptr
// (kernels) or the reason (summary) when the module is missing or cannot be
// loaded, *why naming the paths tried and the loader's message.
#pragma once

#include <cstddef>
#include <string>

#include <memory>

#include "backends/native/kernels.h"
#include "backends/native/llama_model.h"
#include "backends/native/paged_step.h"

namespace bhasa::native {

const Kernels* LoadedCudaKernelsOrNull(std::string* why);
std::string LoadedCudaDeviceSummary();
// Total memory of the GPU in bytes; 0 when the module is unusable.
size_t LoadedCudaDeviceMemoryBytes();
// The module's device-resident forward pass; throws bhasa::Error when the
// module is unusable (the reason) or the model does not fit.
std::unique_ptr<DeviceForward> LoadedCudaForward(const Model& model, const DeviceForwardOptions& options);

}  // namespace bhasa::native
