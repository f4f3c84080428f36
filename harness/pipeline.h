// The request loop: every task's rounds, answered by the model or judge
// backend, journaled as they arrive; a resumed run re-asks nothing it has.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "results/journal.h"
#include "tasks/task.h"

namespace bhasa {

struct PipelineStats {
  size_t reused = 0;   // answered from the journal
  size_t asked = 0;    // sent to a backend
  size_t failed = 0;   // answered with status failed
  // Over the requests this invocation asked and got answered (status ok).
  long long prompt_tokens = 0;
  long long generated_tokens = 0;
  double backend_seconds = 0;  // wall time spent waiting for backends
  // The settings each task sent: {"<task>" or "<task>/judge": {"<lang>":
  // GenerationParams JSON}} of the first request of that role (the first turn).
  nlohmann::json decoding = nlohmann::json::object();
};

// Runs rounds 0, 1, ... until no task asks for more. `judge` may be null when
// no task needs one (a judge request then fails with a clear error). With
// `model` null (re-scoring), requests missing from the journal are marked
// failed in `done` without being journaled.
PipelineStats RunRounds(const std::vector<tasks::Task*>& tasks, Backend* model, Backend* judge,
                        results::Journal& journal, tasks::ResponseMap& done);

}  // namespace bhasa
