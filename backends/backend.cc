#include "backends/backend.h"

namespace bhasa {

Registry<BackendFactory>& BackendRegistry() {
  static Registry<BackendFactory> r("backend");
  return r;
}

std::unique_ptr<Backend> MakeBackend(const std::string& name, const BackendOptions& options) {
  return BackendRegistry().Get(name)(options);
}

}  // namespace bhasa
