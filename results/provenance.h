// Checks that runs about to be compared or exported evaluated the same thing
// the same way, from the provenance in results.json `meta` (data, run,
// decoding; docs/results-schema.md). Differences are warnings, not errors:
// the caller prints them and carries on.
#pragma once

#include <string>
#include <vector>

#include "results/run_set.h"

namespace bhasa::results {

// One line per finding, each naming the runs (their paths) it concerns:
// - a run with no provenance recorded (older results.json) or with part of it absent;
// - a run scored on the bundled sample data;
// - a data file (same path) whose sha256 differs from the first run's;
// - a different `--limit` (meta.run.limit) from the first run's;
// - different decoding settings for a task and language both runs have
//   (meta.decoding, the seed excepted: runs of one model use their own seeds).
// Files, tasks or languages that only one run has are not differences.
std::vector<std::string> ProvenanceWarnings(const std::vector<const RunInput*>& runs);

// What was evaluated and how, from one run's results.json: bhasa_version and
// the meta blocks model, backend, judge, run, data, decoding, timing and
// tokens that are present (an older results.json gives fewer keys).
nlohmann::ordered_json ProvenanceOf(const RunInput& run);

// Prints each warning on stderr as "<command>: warning: <text>".
void PrintWarnings(const std::string& command, const std::vector<std::string>& warnings);

}  // namespace bhasa::results
