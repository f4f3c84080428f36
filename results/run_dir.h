// The run directory: <out>/<model>/run_<n>/ holding config.json (the resolved
// configuration), responses.jsonl (the journal), inferences/ (SEA-HELM's
// per-row files) and results.json.
#pragma once

#include <string>

namespace bhasa::results {

class RunDir {
 public:
  // `model` may be a path: only its basename names the folder (SPEC 9).
  RunDir(const std::string& out_dir, const std::string& model, int run_number);
  // Opens an existing run directory (for `bhasa score`); Error if it is not one.
  static RunDir Open(const std::string& root);

  const std::string& root() const { return root_; }
  const std::string& model_name() const { return model_name_; }
  std::string ConfigPath() const { return root_ + "/config.json"; }
  std::string JournalPath() const { return root_ + "/responses.jsonl"; }
  std::string ResultsPath() const { return root_ + "/results.json"; }
  // inferences/<lang>/<group or task>/<model>_<task>_<lang>.jsonl
  std::string InferencePath(const std::string& lang, const std::string& group_or_task,
                            const std::string& task) const;
  void Create() const;

 private:
  RunDir() = default;
  std::string root_, model_name_;
};

// basename of a model path or id, without a trailing slash ("org/model" → "model").
std::string ModelBasename(const std::string& model);
// The default run folder name of a model path: its basename without a model
// file extension (.gguf, .safetensors, .bin), so "m/bhasa-demo-Q8_0.gguf" →
// "bhasa-demo-Q8_0"; other dots stay ("Qwen2.5-7B").
std::string RunFolderName(const std::string& model);

}  // namespace bhasa::results
