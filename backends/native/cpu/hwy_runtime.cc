// Highway's runtime (target detection), loaded on the first dispatch rather
// than at start. libhwy 1.0.3 (Debian 12) calibrates a benchmarking timer in a
// static initializer when it is loaded: 5 ms of every process start, half of
// `bhasa --version` and a tenth of a 10,000-row `bhasa metric`, though only
// the engine's few Highway kernels (simd_ops.cc) use the library. The
// executable is linked without it; these definitions of the three functions
// that HWY_EXPORT/HWY_DYNAMIC_DISPATCH and ForceTarget call forward to the
// library's own, found with dlopen the first time one is called.
#include <dlfcn.h>

#include <string>

#include <hwy/targets.h>

#include "common/error.h"
#include "common/exit_codes.h"

namespace {

struct HwyRuntime {
  int64_t (*supported_targets)();
  void (*set_supported_targets_for_test)(int64_t);
  hwy::ChosenTarget* chosen;
};

// The library's symbols carry its version node, HWY_0.
void* Symbol(void* lib, const char* name) {
  void* fn = dlvsym(lib, name, "HWY_0");
  if (!fn) throw bhasa::Error(std::string(BHASA_HWY_LIBRARY ": no symbol ") + name, bhasa::kExitRuntime);
  return fn;
}

const HwyRuntime& Runtime() {
  static const HwyRuntime runtime = [] {
    void* lib = dlopen(BHASA_HWY_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      throw bhasa::Error(std::string("cannot load Highway's runtime (Debian package libhwy1): ") + dlerror(),
                         bhasa::kExitRuntime);
    auto* get_chosen = reinterpret_cast<hwy::ChosenTarget& (*)()>(Symbol(lib, "_ZN3hwy15GetChosenTargetEv"));
    return HwyRuntime{reinterpret_cast<int64_t (*)()>(Symbol(lib, "_ZN3hwy16SupportedTargetsEv")),
                      reinterpret_cast<void (*)(int64_t)>(Symbol(lib, "_ZN3hwy26SetSupportedTargetsForTestEl")),
                      &get_chosen()};
  }();
  return runtime;
}

}  // namespace

namespace hwy {

int64_t SupportedTargets() { return Runtime().supported_targets(); }
void SetSupportedTargetsForTest(int64_t targets) { Runtime().set_supported_targets_for_test(targets); }
ChosenTarget& GetChosenTarget() { return *Runtime().chosen; }

}  // namespace hwy
