#include "harness/backend_check.h"

#include <cstdio>

#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa {

BackendCapabilities CheckBackend(const Backend& backend, const std::string& role, bool base_model) {
  const BackendCapabilities c = backend.capabilities();
  const std::string who = "the " + role + " backend (" + backend.name() + ")";
  if (!c.warning.empty()) std::fprintf(stderr, "bhasa: warning: %s\n", c.warning.c_str());
  if (!c.chat) throw Error(who + " cannot answer chat requests, which every task sends", kExitUsage);
  if (base_model && !c.continue_final)
    throw Error(who + " cannot continue a final message, which base models' two-phase decoding needs", kExitUsage);
  return c;
}

std::string WhyBackendCannotRun(const tasks::TaskConfig& task, const BackendCapabilities& c, const std::string& backend) {
  if (task.use_logprobs && !c.logprobs) return "the " + backend + " backend cannot give log-probabilities";
  return "";
}

}  // namespace bhasa
