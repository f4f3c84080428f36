// Provenance: what a run evaluated and how, recorded in results.json's `meta`
// (docs/results-schema.md): model and data hashes, whether the data is the
// bundled samples, the effective decoding settings, timing and token totals.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/file_hash_cache.h"
#include "harness/pipeline.h"
#include "tasks/task.h"

namespace bhasa {

// The files the planned tasks read under `data_dir`: each test split, and the
// examples split of tasks that prompt with shots for this model kind.
std::vector<std::string> DataFilesRead(const std::vector<tasks::Task*>& tasks, const std::string& data_dir,
                                       bool base_model);

// True when `data_dir` is the installation's bundled samples (data/samples).
bool IsBundledSamples(const std::string& data_dir);
// Prints a warning on stderr when `data_dir` is the bundled samples.
void WarnIfBundledSamples(const std::string& data_dir);

// meta.data: {"dir", "bundled_samples", "files": [{"path" (relative to dir),
// "sha256", "rows" (non-blank lines)}]} sorted by path.
nlohmann::json DataProvenance(const std::string& data_dir, const std::vector<std::string>& files,
                              FileHashCache& hashes);

// {"sha256": ...} of a GGUF (or any single) file; for a Hugging Face directory
// the sha256 of a manifest of "<sha256>  <name>\n" lines for
// model.safetensors.index.json (when present) and every *.safetensors shard in
// name order, plus "files": [{"path", "sha256"}]. Throws Error naming an
// unreadable file.
nlohmann::json ModelDigest(const std::string& model_path, FileHashCache& hashes);

// A few lines for the run's summary: the model (sha256, quantization, chat
// template) or server hosts, the data directory, token totals and tokens/s.
std::string FormatProvenance(const nlohmann::json& meta);

// The backend and judge descriptions recorded by the run that wrote
// `results_path` ({"backend": ..., "judge": ...}, either absent when unknown):
// re-scoring keeps them, since it asks no backend.
nlohmann::json RecordedBackends(const std::string& results_path);

// ISO 8601 UTC with seconds, e.g. "2026-11-30T00:52:13Z".
std::string IsoUtc(std::chrono::system_clock::time_point t);

// The wall-clock span of one invocation.
struct RunClock {
  std::chrono::system_clock::time_point started_at = std::chrono::system_clock::now();
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  double ElapsedSeconds() const;
};

// Adds meta.bhasa_version, meta.data, meta.decoding, meta.timing and
// meta.tokens, and the model digest to meta.backend / meta.judge when they
// describe the native backend (the only one that reads a model file).
void AddProvenance(nlohmann::json& meta, const std::string& data_dir, const std::vector<std::string>& data_files,
                   const PipelineStats& stats, const RunClock& clock, FileHashCache& hashes);

}  // namespace bhasa
