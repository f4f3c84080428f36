#include "backends/native/device.h"

#include "common/error.h"
#include "common/exit_codes.h"

#ifdef BHASA_HAVE_CUDA
#include "backends/native/cuda_loader.h"
#endif

namespace bhasa::native {
namespace {

[[noreturn]] void UnknownDevice(std::string_view name) {
  throw Error("unknown device '" + std::string(name) + "' (valid: cpu, cuda)", kExitUsage);
}

const Kernels& CudaTable() {
#ifdef BHASA_HAVE_CUDA
  std::string why;
  if (const Kernels* k = LoadedCudaKernelsOrNull(&why)) return *k;
  throw Error("device cuda: " + why, kExitRuntime);
#else
  throw Error("device cuda: bhasa was built without CUDA (configure with -DBHASA_CUDA=ON)", kExitUsage);
#endif
}

}  // namespace

const Kernels& KernelsForDevice(std::string_view name) {
  if (name == "cpu") return CpuKernels();
  if (name == "cuda") return CudaTable();
  UnknownDevice(name);
}

std::string DeviceSummary(std::string_view name) {
  if (name == "cpu") return "cpu";
  if (name != "cuda") UnknownDevice(name);
  CudaTable();  // throws with the reason when unavailable
#ifdef BHASA_HAVE_CUDA
  return LoadedCudaDeviceSummary();
#else
  return "";
#endif
}

size_t DeviceMemoryBytes(std::string_view name) {
  if (name == "cpu") return 0;
  if (name != "cuda") UnknownDevice(name);
  CudaTable();
#ifdef BHASA_HAVE_CUDA
  return LoadedCudaDeviceMemoryBytes();
#else
  return 0;
#endif
}

std::unique_ptr<DeviceForward> DeviceForwardFor(std::string_view name, const Model& model,
                                                const DeviceForwardOptions& options) {
  if (name == "cpu") return nullptr;
  if (name != "cuda") UnknownDevice(name);
  CudaTable();
#ifdef BHASA_HAVE_CUDA
  return LoadedCudaForward(model, options);
#else
  (void)model;
  (void)options;
  return nullptr;
#endif
}

}  // namespace bhasa::native
