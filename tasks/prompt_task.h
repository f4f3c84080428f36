// PromptTask: the single-turn families (qa, sentiment, toxicity, translation,
// summarization, causal, nli, multiple choice). One prompt per row, scored by
// the task's scorer; base models get SEA-HELM's two-phase decoding (SPEC 6.2).
#pragma once

#include "tasks/task.h"

namespace bhasa::tasks {

class PromptTask : public Task {
 public:
  // Loads the rows (and, for few-shot, the examples). Throws Error naming the
  // file for missing splits, columns, or gold labels outside the label set.
  PromptTask(const TaskConfig& config, const std::string& lang, const TaskContext& ctx);

  const TaskConfig& config() const override { return config_; }
  const std::string& lang() const override { return lang_; }
  std::vector<Request> Requests(int round, const ResponseMap& done) override;
  TaskOutcome Score(const ResponseMap& done) override;

  const std::vector<nlohmann::json>& rows() const { return rows_; }
  // Request ids: "<task>/<lang>/<row id>/t1" and, for phase 2, ".../t1/p2".
  std::string RequestId(const nlohmann::json& row) const;

 protected:
  // For subclasses that normalize rows after loading (before Requests).
  std::vector<nlohmann::json>& mutable_rows() { return rows_; }

 private:
  bool IsBase() const { return ctx_.kind == ModelKind::kBase; }
  Request FirstRequest(const nlohmann::json& row) const;

  TaskConfig config_;
  LanguageConfig lc_;
  std::string lang_;
  TaskContext ctx_;
  std::vector<nlohmann::json> rows_;
  std::vector<nlohmann::json> examples_;
  std::vector<std::vector<Message>> conversations_;
};

// The families PromptTask serves, and the prompts[0] fields each requires.
const std::vector<std::string>& PromptFamilyFields(const std::string& family);

}  // namespace bhasa::tasks
