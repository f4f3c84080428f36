#include "tasks/prompt_task.h"


#include "common/error.h"
#include "common/fs.h"
#include "common/pystr.h"
#include "metrics/scorer.h"
#include "tasks/dataset.h"
#include "tasks/prompt.h"

namespace bhasa::tasks {

const std::vector<std::string>& PromptFamilyFields(const std::string& family) {
  static const std::map<std::string, std::vector<std::string>> kFields = {
      {"sentiment", {"text"}},
      {"toxicity", {"text"}},
      {"qa", {"text", "question"}},
      {"translation", {"text"}},
      {"summarization", {"text"}},
      {"causal", {"premise", "choice1", "choice2", "question_translated"}},
      {"nli", {"sentence1", "sentence2"}},
      {"multiple_choice", {}},
  };
  static const std::vector<std::string> kNone;
  auto it = kFields.find(family);
  return it == kFields.end() ? kNone : it->second;
}

PromptTask::PromptTask(const TaskConfig& config, const std::string& lang, const TaskContext& ctx)
    : config_(config), lc_(config.languages.at(lang)), lang_(lang), ctx_(ctx) {
  const RowSchema schema = SchemaFor(config_, lang_);
  const DataOptions data{ctx_.data_dir, ctx_.data_revision};
  rows_ = LoadTaskSplit(config_, lang_, Split::kTest, data, schema);
  if (ctx_.limit > 0 && static_cast<int>(rows_.size()) > ctx_.limit) rows_.resize(ctx_.limit);

  int shots = IsBase() ? config_.fewshot_base : config_.fewshot_instruct;
  if (shots > 0) {
    std::vector<std::string> tried;
    auto found = LocateSplit(config_, lang_, Split::kExamples, data, &tried);
    if (!found)
      throw Error("task '" + config_.name + "' (" + lang_ + "): " + std::to_string(shots) +
                  "-shot prompting needs the examples split: " + tried.front() +
                  (tried.size() > 1 ? " (nor found at " + std::to_string(tried.size() - 1) + " other places; see bhasa data check)" : ""));
    examples_ = LoadRows(*found, schema);
    if (static_cast<int>(examples_.size()) > shots) examples_.resize(shots);
  }
  for (const auto& row : rows_) conversations_.push_back(BuildConversation(lc_.prompt, row, examples_));
}

std::string PromptTask::RequestId(const nlohmann::json& row) const {
  return config_.name + "/" + lang_ + "/" + RowId(row) + "/t1";
}

Request PromptTask::FirstRequest(const nlohmann::json& row) const {
  size_t i = &row - rows_.data();
  Request r;
  r.id = RequestId(row);
  r.task = config_.name;
  r.lang = lang_;
  r.messages = conversations_[i];
  r.params = ctx_.ModelParams(lc_.max_tokens);
  if (IsBase() && !lc_.prompt.answer_tag.empty()) {
    // Phase 1 stops at the answer tag, replacing "\n\n" (SPEC 6.2).
    r.params.stop = {lc_.prompt.answer_tag};
    r.params.include_stop_str_in_output = true;
  } else if (IsBase()) {
    r.params.stop = {"\n\n"};  // no tag to wait for: one phase with the few-shot stop
  }
  return r;
}

std::vector<Request> PromptTask::Requests(int round, const ResponseMap& done) {
  std::vector<Request> out;
  if (round == 0) {
    for (const auto& row : rows_) out.push_back(FirstRequest(row));
    return out;
  }
  if (round > 1 || !IsBase() || lc_.prompt.answer_tag.empty()) return out;
  for (const auto& row : rows_) {
    Request first = FirstRequest(row);
    auto it = done.find(first.id);
    // SEA-HELM continues every row whose phase 1 "stopped", EOS included (quirk Q7).
    if (it == done.end() || it->second.status != ResponseStatus::kOk) continue;
    const Response& p1 = it->second;
    if (p1.finish_reason != "stop" && p1.finish_reason != "eos") continue;
    int left = first.params.max_tokens - p1.completion_tokens;
    if (left <= 0) continue;
    Request r = first;
    r.id = first.id + "/p2";
    r.messages.push_back({"assistant", p1.text});
    r.continue_final_message = true;
    r.params.max_tokens = left;
    r.params.stop = {"\n\n"};
    r.params.include_stop_str_in_output = false;
    out.push_back(std::move(r));
  }
  return out;
}

TaskOutcome PromptTask::Score(const ResponseMap& done) {
  TaskOutcome outcome;
  std::vector<metrics::ScoreItem> items;
  std::vector<const Response*> firsts;
  for (const auto& row : rows_) {
    metrics::ScoreItem item;
    item.id = RowId(row);
    item.label = row.contains("label") ? row["label"] : nlohmann::json();
    item.row = row;
    item.row.erase("__line");
    std::string id = RequestId(row);
    auto it = done.find(id);
    const Response* p1 = it == done.end() ? nullptr : &it->second;
    std::string text;
    if (!p1 || p1->status != ResponseStatus::kOk) {
      item.failed = true;  // scored as "" like SEA-HELM, and counted
    } else {
      text = p1->text;
      if (auto p2 = done.find(id + "/p2"); p2 != done.end()) {
        if (p2->second.status == ResponseStatus::kOk) text += p2->second.text;
        else item.failed = true;
      }
    }
    if (ctx_.strip_think) {
      if (size_t pos = text.rfind("</think>"); pos != std::string::npos) text = py::Strip(text.substr(pos + 8));
    }
    item.responses = {text};
    firsts.push_back(p1);
    items.push_back(std::move(item));
  }
  metrics::ScoreOptions opts;
  opts.lang = lang_;
  opts.answer_tag = lc_.prompt.answer_tag;
  opts.options = ctx_.scorer_options;
  auto scorer = metrics::MakeScorer(config_.scorer);
  metrics::ScoreResult result = scorer->Score(items, opts);
  outcome.metrics = result.metrics;
  outcome.n_rows = static_cast<int>(rows_.size());
  for (size_t i = 0; i < rows_.size(); ++i) {
    nlohmann::json rec = items[i].row;
    rec["conversations"] = conversations_[i];
    const Response* p1 = firsts[i];
    rec["responses"] = {items[i].responses[0]};
    rec["finish_reasons"] = {p1 ? p1->finish_reason : ""};
    rec["errors"] = {p1 && !p1->error.empty() ? nlohmann::json(p1->error) : nlohmann::json(nullptr)};
    int pt = p1 ? p1->prompt_tokens : 0, ct = p1 ? p1->completion_tokens : 0;
    rec["token_usages"] = {{{"prompt_tokens", pt}, {"completion_tokens", ct}, {"total_tokens", pt + ct}}};
    rec["status"] = items[i].failed ? "failed" : "ok";
    rec["cleaned_responses"] = i < result.items.size() ? metrics::CleanedText(items[i], result.items[i]) : "";
    rec["individual_scores"] = i < result.items.size() ? result.items[i].individual_scores : nlohmann::json();
    if (items[i].failed) ++outcome.n_failed;
    outcome.rows.push_back(std::move(rec));
  }
  outcome.metrics["failed_count"] = outcome.n_failed;
  // A SEA-HELM config asked for a metric this build replaces (MetricX → chrF++): say so in results.
  if (!config_.metric_substituted_from.empty())
    outcome.metrics["metric_substituted_from"] = config_.metric_substituted_from;
  return outcome;
}

namespace {

TaskFactory MakePromptFactory() {
  return [](const TaskConfig& c, const std::string& lang, const TaskContext& ctx) -> std::unique_ptr<Task> {
    return std::make_unique<PromptTask>(c, lang, ctx);
  };
}

const RegisterTaskFamily kQa("qa", MakePromptFactory());
const RegisterTaskFamily kSentiment("sentiment", MakePromptFactory());
const RegisterTaskFamily kToxicity("toxicity", MakePromptFactory());
const RegisterTaskFamily kTranslation("translation", MakePromptFactory());
const RegisterTaskFamily kSummarization("summarization", MakePromptFactory());
const RegisterTaskFamily kCausal("causal", MakePromptFactory());
const RegisterTaskFamily kNli("nli", MakePromptFactory());
const RegisterTaskFamily kMultipleChoice("multiple_choice", MakePromptFactory());

}  // namespace

}  // namespace bhasa::tasks
