#include "results/run_dir.h"

#include <filesystem>
#include <string_view>

#include "common/error.h"
#include "common/fs.h"
#include "common/jsonl.h"

namespace bhasa::results {

namespace fs = std::filesystem;

std::string ModelBasename(const std::string& model) {
  std::string m = model;
  while (m.size() > 1 && m.back() == '/') m.pop_back();
  auto slash = m.find_last_of('/');
  std::string base = slash == std::string::npos ? m : m.substr(slash + 1);
  return base.empty() ? "model" : base;
}

std::string RunFolderName(const std::string& model) {
  std::string base = ModelBasename(model);
  for (std::string_view ext : {".gguf", ".safetensors", ".bin"}) {
    if (base.size() > ext.size() && base.ends_with(ext)) return base.substr(0, base.size() - ext.size());
  }
  return base;
}

RunDir::RunDir(const std::string& out_dir, const std::string& model, int run_number)
    : root_(out_dir + "/" + ModelBasename(model) + "/run_" + std::to_string(run_number)),
      model_name_(ModelBasename(model)) {}

RunDir RunDir::Open(const std::string& root) {
  RunDir d;
  d.root_ = root;
  while (d.root_.size() > 1 && d.root_.back() == '/') d.root_.pop_back();
  if (!fs::is_directory(d.root_)) throw Error(root + ": not a directory");
  if (!FileExists(d.ConfigPath()))
    throw Error(root + ": not a bhasa run directory (no config.json; expected <out>/<model>/run_<n>/)");
  auto cfg = nlohmann::json::parse(ReadFile(d.ConfigPath()), nullptr, false);
  if (cfg.is_discarded() || !cfg.is_object()) throw Error(d.ConfigPath() + ": malformed JSON");
  d.model_name_ = cfg.value("model_name", ModelBasename(fs::path(d.root_).parent_path().string()));
  return d;
}

std::string RunDir::InferencePath(const std::string& lang, const std::string& group_or_task,
                                  const std::string& task) const {
  return root_ + "/inferences/" + lang + "/" + group_or_task + "/" + model_name_ + "_" + task + "_" + lang + ".jsonl";
}

void RunDir::Create() const { MakeDirs(root_); }

}  // namespace bhasa::results
