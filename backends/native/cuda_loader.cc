#include "backends/native/cuda_loader.h"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include "backends/native/cuda/cuda_module.h"
#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa::native {
namespace {

namespace fs = std::filesystem;

struct Module {
  decltype(&bhasa_cuda_kernels) kernels = nullptr;
  decltype(&bhasa_cuda_device_summary) summary = nullptr;
  decltype(&bhasa_cuda_device_memory_bytes) memory_bytes = nullptr;
  decltype(&bhasa_cuda_create_forward) create_forward = nullptr;
  std::string error;  // why the module is unusable, when it is
};

// Never unloaded: the kernel table and its CUDA state live for the process.
const Module& LoadModule() {
  static Module module;
  static std::once_flag once;
  std::call_once(once, [] {
    std::error_code ec;
    const fs::path bin = fs::read_symlink("/proc/self/exe", ec).parent_path();
    std::string tried;
    for (const fs::path& dir : {bin, (bin / BHASA_CUDA_MODULE_FROM_BIN).lexically_normal()}) {
      const fs::path file = dir / BHASA_CUDA_MODULE_FILE;
      if (!fs::exists(file, ec)) {
        tried += (tried.empty() ? "" : ", ") + file.string();
        continue;
      }
      void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        module.error = "no CUDA device: cannot load " + file.string() + ": " + dlerror();
        return;
      }
      module.kernels = reinterpret_cast<decltype(module.kernels)>(dlsym(handle, "bhasa_cuda_kernels"));
      module.summary = reinterpret_cast<decltype(module.summary)>(dlsym(handle, "bhasa_cuda_device_summary"));
      module.memory_bytes =
          reinterpret_cast<decltype(module.memory_bytes)>(dlsym(handle, "bhasa_cuda_device_memory_bytes"));
      module.create_forward =
          reinterpret_cast<decltype(module.create_forward)>(dlsym(handle, "bhasa_cuda_create_forward"));
      if (!module.kernels || !module.summary || !module.memory_bytes || !module.create_forward) module.error = "no CUDA device: " + file.string() + " lacks its entry points";
      return;
    }
    module.error = "no CUDA device: the CUDA module " BHASA_CUDA_MODULE_FILE " is missing (looked for " + tried + ")";
  });
  return module;
}

}  // namespace

const Kernels* LoadedCudaKernelsOrNull(std::string* why) {
  const Module& m = LoadModule();
  if (!m.error.empty()) {
    if (why) *why = m.error;
    return nullptr;
  }
  return m.kernels(why);
}

std::string LoadedCudaDeviceSummary() {
  const Module& m = LoadModule();
  if (!m.error.empty()) return m.error;
  std::string out;
  m.summary(&out);
  return out;
}

size_t LoadedCudaDeviceMemoryBytes() {
  const Module& m = LoadModule();
  return m.error.empty() ? m.memory_bytes() : 0;
}

std::unique_ptr<DeviceForward> LoadedCudaForward(const Model& model, const DeviceForwardOptions& options) {
  std::string why;
  if (!LoadedCudaKernelsOrNull(&why)) throw Error("device cuda: " + why, kExitRuntime);
  return std::unique_ptr<DeviceForward>(LoadModule().create_forward(&model, &options));
}

}  // namespace bhasa::native
