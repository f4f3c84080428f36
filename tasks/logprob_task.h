// LogprobTask: a task with use_logprobs (SEA-HELM's *-logprobs,
// SPEC-ifeval-mtbench §C). Round 0 asks the family's prompt and lets the
// model write until it prints the answer tag; round 1 appends the separator
// and the gold label to that answer and asks for the prompt's
// log-probabilities (max_tokens 1). A row's value is the sum of the
// log-probabilities of the tokens after the first answer, scored by the
// "logprobs" scorer (LogProbMetric).
#pragma once

#include <optional>
#include <string>

#include "tasks/prompt_task.h"

namespace bhasa::tasks {

class LogprobTask : public Task {
 public:
  LogprobTask(const TaskConfig& config, const std::string& lang, const TaskContext& ctx);

  const TaskConfig& config() const override { return prompts_.config(); }
  const std::string& lang() const override { return prompts_.lang(); }
  std::vector<Request> Requests(int round, const ResponseMap& done) override;
  TaskOutcome Score(const ResponseMap& done) override;

  // The text between the answer tag and the label in the answer template
  // (SEA-HELM: the regex (?<={answer_tag})(.*)(?={label}) on the literal
  // template), else the template's answer_tag_separator, else " ".
  static std::string Separator(const LanguageConfig& lc);

 private:
  std::vector<Request> FirstRequests();
  // Σ log p(token_j | prefix) for j >= the first answer's length, or none.
  static std::optional<double> CumulativeLogprob(const Response& first, const Response& second);

  PromptTask prompts_;  // rows, conversations and request ids of the family
  LanguageConfig lc_;
};

}  // namespace bhasa::tasks
