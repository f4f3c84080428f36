#include "harness/provenance.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "common/sha256.h"
#include "harness/plan.h"
#include "tasks/dataset.h"

namespace bhasa {

namespace fs = std::filesystem;

namespace {

long long CountRows(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot read");
  long long rows = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(" \t\r") != std::string::npos) ++rows;
  return rows;
}

std::string Relative(const std::string& path, const std::string& dir) {
  const fs::path rel = fs::path(path).lexically_relative(dir);
  return rel.empty() || rel.native().starts_with("..") ? path : rel.generic_string();
}

// The model's digest goes where Describe() says the model file was read
// (unless recorded already: re-scoring keeps the original run's).
void AddDigest(nlohmann::json& desc, FileHashCache& hashes) {
  if (!desc.is_object() || !desc.contains("backend") || desc["backend"] != "native" || !desc.contains("model_file") ||
      !desc["model_file"].is_string() || desc.contains("sha256"))
    return;
  try {
    desc.update(ModelDigest(desc["model_file"].get<std::string>(), hashes));
  } catch (const Error& e) {
    // The answers are in hand: record why there is no hash rather than lose the run.
    desc["sha256_error"] = e.what();
    std::fprintf(stderr, "bhasa: warning: no model sha256 recorded: %s\n", e.what());
  }
}

}  // namespace

std::vector<std::string> DataFilesRead(const std::vector<tasks::Task*>& tasks, const std::string& data_dir,
                                       bool base_model) {
  std::set<std::string> files;
  for (const tasks::Task* t : tasks) {
    const auto& cfg = t->config();
    // A log-likelihood version without rows of its own reads its family task's.
    std::string name = cfg.name;
    if (const std::string base = tasks::LogprobRowsTask(cfg);
        !base.empty() && !FileExists(tasks::TestSplitPath(data_dir, name, t->lang())))
      name = base;
    files.insert(tasks::TestSplitPath(data_dir, name, t->lang()));
    if ((base_model ? cfg.fewshot_base : cfg.fewshot_instruct) > 0)
      files.insert(tasks::ExampleSplitPath(data_dir, name, t->lang()));
  }
  return {files.begin(), files.end()};
}

bool IsBundledSamples(const std::string& data_dir) {
  const std::string home = BhasaHome();
  if (home.empty()) return false;
  std::error_code ec1, ec2;
  const fs::path a = fs::weakly_canonical(data_dir, ec1), b = fs::weakly_canonical(home + "/data/samples", ec2);
  return !ec1 && !ec2 && a == b;
}

void WarnIfBundledSamples(const std::string& data_dir) {
  if (!IsBundledSamples(data_dir)) return;
  std::fprintf(stderr,
               "bhasa: warning: evaluating on the bundled sample data (%s): a few hand-written rows per task, "
               "not the benchmark; give --data-dir for real scores\n",
               data_dir.c_str());
}

nlohmann::json DataProvenance(const std::string& data_dir, const std::vector<std::string>& files,
                              FileHashCache& hashes) {
  nlohmann::json list = nlohmann::json::array();
  std::vector<std::pair<std::string, std::string>> sorted;  // relative, as given
  for (const auto& f : files) sorted.emplace_back(Relative(f, data_dir), f);
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [rel, path] : sorted)
    list.push_back({{"path", rel}, {"sha256", hashes.Sha256(path)}, {"rows", CountRows(path)}});
  return {{"dir", data_dir}, {"bundled_samples", IsBundledSamples(data_dir)}, {"files", list}};
}

nlohmann::json ModelDigest(const std::string& model_path, FileHashCache& hashes) {
  if (!fs::is_directory(model_path)) return {{"sha256", hashes.Sha256(model_path)}};
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(model_path)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && (name == "model.safetensors.index.json" || name.ends_with(".safetensors")))
      names.push_back(name);
  }
  if (names.empty()) throw Error(model_path + ": no safetensors files to hash");
  std::sort(names.begin(), names.end());
  std::string manifest;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& name : names) {
    const std::string digest = hashes.Sha256(model_path + "/" + name);
    manifest += digest + "  " + name + "\n";
    files.push_back({{"path", name}, {"sha256", digest}});
  }
  return {{"sha256", Sha256Hex(manifest)}, {"files", files}};
}

std::string FormatProvenance(const nlohmann::json& meta) {
  std::string out;
  char line[1024];
  const auto str = [](const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  if (meta.contains("backend") && meta["backend"].is_object()) {
    const auto& b = meta["backend"];
    std::string what;
    if (!str(b, "sha256").empty()) what += "sha256 " + str(b, "sha256").substr(0, 16);
    for (const char* key : {"quantization", "chat_template"})
      if (!str(b, key).empty()) what += (what.empty() ? "" : ", ") + str(b, key);
    if (b.contains("url_hosts") && b["url_hosts"].is_array())  // `score` copies it from an older results.json
      for (const auto& h : b["url_hosts"])
        if (h.is_string()) what += (what.empty() ? "" : ", ") + h.get<std::string>();
    const std::string model = meta.contains("model") ? str(meta["model"], "path") : "";
    std::snprintf(line, sizeof line, "model: %s (%s backend%s%s)\n", model.c_str(), str(b, "backend").c_str(),
                  what.empty() ? "" : ": ", what.c_str());
    out += line;
  }
  if (meta.contains("data")) {
    const auto& d = meta["data"];
    std::snprintf(line, sizeof line, "data: %s (%zu files%s)\n", str(d, "dir").c_str(), d.value("files", nlohmann::json::array()).size(),
                  d.value("bundled_samples", false) ? ", the bundled samples" : "");
    out += line;
  }
  if (meta.contains("tokens")) {
    const auto& t = meta["tokens"];
    std::snprintf(line, sizeof line, "tokens: %lld prompt, %lld generated (%.1f generated/s)\n",
                  t.value("prompt", 0LL), t.value("generated", 0LL), t.value("generated_per_second", 0.0));
    out += line;
  }
  return out;
}

nlohmann::json RecordedBackends(const std::string& results_path) {
  nlohmann::json out = nlohmann::json::object();
  if (!FileExists(results_path)) return out;
  const auto doc = nlohmann::json::parse(ReadFile(results_path), nullptr, false);
  if (!doc.is_object() || !doc.contains("meta") || !doc["meta"].is_object()) return out;
  for (const char* key : {"backend", "judge"})
    if (doc["meta"].contains(key) && doc["meta"][key].is_object()) out[key] = doc["meta"][key];
  return out;
}

std::string IsoUtc(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

double RunClock::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void AddProvenance(nlohmann::json& meta, const std::string& data_dir, const std::vector<std::string>& data_files,
                   const PipelineStats& stats, const RunClock& clock, FileHashCache& hashes) {
  meta["bhasa_version"] = BHASA_VERSION;
  if (meta.contains("backend")) AddDigest(meta["backend"], hashes);
  if (meta.contains("judge")) AddDigest(meta["judge"], hashes);
  try {
    meta["data"] = DataProvenance(data_dir, data_files, hashes);
  } catch (const Error& e) {
    meta["data"] = {{"dir", data_dir}, {"bundled_samples", IsBundledSamples(data_dir)}, {"error", e.what()}};
    std::fprintf(stderr, "bhasa: warning: no data hashes recorded: %s\n", e.what());
  }
  meta["decoding"] = stats.decoding;
  const double elapsed = clock.ElapsedSeconds();
  meta["timing"] = {{"started_at", IsoUtc(clock.started_at)},
                    {"finished_at", IsoUtc(std::chrono::system_clock::now())},
                    {"elapsed_seconds", elapsed}};
  meta["tokens"] = {{"prompt", stats.prompt_tokens},
                    {"generated", stats.generated_tokens},
                    {"generated_per_second",
                     stats.backend_seconds > 0 ? stats.generated_tokens / stats.backend_seconds : 0.0}};
  hashes.Save();
}

}  // namespace bhasa
