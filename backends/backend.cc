#include "backends/backend.h"

namespace bhasa {

void Backend::GenerateStreaming(std::span<const Request> requests, const OnText& on_text,
                                const OnResponse& on_response) {
  Generate(requests, [&](Response r) {
    if (r.status == ResponseStatus::kOk && !r.text.empty()) on_text(r.request_id, r.text);
    on_response(std::move(r));
  });
}

Registry<BackendFactory>& BackendRegistry() {
  static Registry<BackendFactory> r("backend");
  return r;
}

std::unique_ptr<Backend> MakeBackend(const std::string& name, const BackendOptions& options) {
  return BackendRegistry().Get(name)(options);
}

}  // namespace bhasa
