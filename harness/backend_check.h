// The check `bhasa run` makes before it writes anything: can the backend
// answer this run? A server that cannot be reached stops the run at once
// (exit 3) instead of producing a results.json full of failed rows.
#pragma once

#include <string>

#include "backends/backend.h"
#include "tasks/task_config.h"

namespace bhasa {

// Asks `backend` its capabilities (an openai backend asks its server) and
// checks them against what the run needs: chat requests always, continuing
// a final message for base models' two-phase decoding. `role` ("model",
// "judge") names the backend in messages. Prints the backend's warning, if
// any, on stderr. Throws Error with kExitRuntime when the backend cannot be
// reached, kExitUsage when it cannot do what the run needs. Returns the
// capabilities it was told.
BackendCapabilities CheckBackend(const Backend& backend, const std::string& role, bool base_model);

// Why a backend with capabilities `c` cannot run `task`, or "" when it can:
// a log-likelihood task needs log-probabilities.
std::string WhyBackendCannotRun(const tasks::TaskConfig& task, const BackendCapabilities& c, const std::string& backend);

}  // namespace bhasa
