// Device selection for the built-in engine: the kernel table behind a
// --device name. "cpu" is CpuKernels(); "cuda" is the CUDA table
// (cuda/cuda_kernels.h: weight matmuls on the GPU, other ops on the CPU),
// available when bhasa was built with -DBHASA_CUDA=ON and a GPU is present;
// its code is the module libbhasa_cuda.so, loaded on first use (cuda_loader.h).
//
// Thread-safety: both functions may be called from any thread; the returned
// table lives for the whole process. Failure: both throw bhasa::Error for an
// unknown name (listing the valid ones; exit code "usage"), a build without
// CUDA ("usage") or no usable CUDA device ("runtime"; the message carries the
// CUDA runtime's reason).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <memory>

#include "backends/native/kernels.h"
#include "backends/native/llama_model.h"
#include "backends/native/paged_step.h"

namespace bhasa::native {

const Kernels& KernelsForDevice(std::string_view name);

// One line about the device for bench and backend descriptions: "cpu", or
// the GPU's name, compute capability and memory for "cuda".
std::string DeviceSummary(std::string_view name);

// Memory of the device in bytes (throws as KernelsForDevice does); "cpu" has
// no budget of its own and gives 0.
size_t DeviceMemoryBytes(std::string_view name);

// The device-resident forward pass (paged_step.h) of device `name`: the CUDA
// module's for "cuda"; nullptr for "cpu", whose engine runs Forward over the
// kernel table. Throws as KernelsForDevice does, and when the model does not fit.
std::unique_ptr<DeviceForward> DeviceForwardFor(std::string_view name, const Model& model,
                                                const DeviceForwardOptions& options);

}  // namespace bhasa::native
