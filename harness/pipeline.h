// The request loop: every task's rounds, answered by the model or judge
// backend, journaled as they arrive; a resumed run re-asks nothing it has.
#pragma once

#include <vector>

#include "backends/backend.h"
#include "results/journal.h"
#include "tasks/task.h"

namespace bhasa {

struct PipelineStats {
  size_t reused = 0;   // answered from the journal
  size_t asked = 0;    // sent to a backend
  size_t failed = 0;   // answered with status failed
};

// Runs rounds 0, 1, ... until no task asks for more. `judge` may be null when
// no task needs one (a judge request then fails with a clear error). With
// `model` null (re-scoring), requests missing from the journal are marked
// failed in `done` without being journaled.
PipelineStats RunRounds(const std::vector<tasks::Task*>& tasks, Backend* model, Backend* judge,
                        results::Journal& journal, tasks::ResponseMap& done);

}  // namespace bhasa
