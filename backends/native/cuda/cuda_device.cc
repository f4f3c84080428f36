#include "backends/native/cuda/cuda_device.h"

#include <cstdio>
#include <memory>

#include "backends/native/cuda/cuda_convert.h"
#include "backends/native/cuda/cuda_resources.h"

namespace bhasa::native::cuda {
namespace {

struct Probe {
  std::unique_ptr<CudaDevice> device;
  std::string reason;  // why device is null
};

std::string VersionString(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

Probe ProbeDevice() {
  auto fail = [](const std::string& why) { return Probe{nullptr, "no CUDA device: " + why}; };
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) return fail(cudaGetErrorString(status));
  if (count <= 0) return fail("cudaGetDeviceCount found none");
  const int ordinal = 0;
  if ((status = cudaSetDevice(ordinal)) != cudaSuccess) return fail(cudaGetErrorString(status));
  // Creates the primary context now, so a broken driver shows up here.
  if ((status = cudaFree(nullptr)) != cudaSuccess) return fail(cudaGetErrorString(status));
  cudaDeviceProp prop{};
  if ((status = cudaGetDeviceProperties(&prop, ordinal)) != cudaSuccess) return fail(cudaGetErrorString(status));
  if ((status = ProbeKernelImage()) != cudaSuccess)
    return fail(std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) +
                ") cannot run this build's kernels (CMAKE_CUDA_ARCHITECTURES): " + cudaGetErrorString(status));
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  char mem[32];
  std::snprintf(mem, sizeof mem, "%.1f GiB", static_cast<double>(prop.totalGlobalMem) / (1ull << 30));
  std::string summary = std::string(prop.name) + " (sm_" + std::to_string(prop.major) + std::to_string(prop.minor) +
                        ", " + mem + ", driver " + VersionString(driver) + ", runtime " + VersionString(runtime) + ")";
  return Probe{std::make_unique<CudaDevice>(ordinal, std::move(summary)), ""};
}

}  // namespace

CudaDevice* CudaDevice::Get(std::string* why) {
  // Constructed after the runtime has initialized (inside ProbeDevice), so
  // its destructor runs before the runtime's own exit handler: the cached
  // weights and cuBLAS handles are released while CUDA still works.
  static Probe probe = ProbeDevice();
  if (!probe.device && why) *why = probe.reason;
  return probe.device.get();
}

}  // namespace bhasa::native::cuda
