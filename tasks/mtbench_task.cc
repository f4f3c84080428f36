// MT-Bench (family "mtbench", SEA-HELM `mt-bench`, SPEC-IF B): pairwise
// judging of the model's two-turn answers against the dataset's stored
// baseline answers.
//   round 0: turn 1, [user: strip(prompts[0].text)]
//   round 1: turn 2, [user: p1, assistant: turn-1 answer, user: strip(prompts[1].text)]
//            (a row whose turn 1 failed is not continued, as upstream)
//   round 2: per question, per turn, baseline-before then baseline-after: the
//            judge messages from metrics/mtbench_judge_prompt, Request.role =
//            "judge" (answered by the judge backend)
// Scored by the scorer the config names ("mtbench") with ScoreItem.responses =
// [r1, r2, j_t1_before, j_t1_after, j_t2_before, j_t2_after].
// A question whose model turn failed gets no judge requests: its verdicts are
// ERROR (0 points) and the row counts as failed.
//
// Family "mtbench_judge" (SEA-HELM `mt-bench-judge`, SPEC-IF B.9) is the same
// two-turn flow with rubric judging instead: round 2 sends one judge request
// per row.criteria entry (metrics/mtbench_criteria), scored by "mtbench_judge"
// with responses = [r1, r2, judge output per criterion in row order].
#include <optional>

#include "common/error.h"
#include "common/fs.h"
#include "common/json_field.h"
#include "common/pystr.h"
#include "metrics/mtbench_criteria.h"
#include "metrics/mtbench_judge_prompt.h"
#include "metrics/scorer.h"
#include "tasks/dataset.h"
#include "tasks/row_schema.h"
#include "tasks/task.h"

namespace bhasa::tasks {
namespace {

constexpr int kTurns = 2;

enum class JudgeMode { kPairwise, kCriteria };

class MtBenchTask : public Task {
 public:
  MtBenchTask(const TaskConfig& config, const std::string& lang, const TaskContext& ctx, JudgeMode mode)
      : config_(config), lc_(config.languages.at(lang)), lang_(lang), ctx_(ctx), mode_(mode) {
    const auto& raw = config_.raw;
    if (!raw.contains("judge") || !raw["judge"].is_object() || !raw["judge"].contains("judge_prompts"))
      throw Error(config_.source + ": task '" + config_.name + "' needs 'judge.judge_prompts'");
    try {
      if (mode_ == JudgeMode::kCriteria) criteria_ = metrics::CriteriaJudgeConfig::FromJson(raw["judge"]);
      else judge_ = metrics::MtBenchJudgeConfig::FromJson(raw["judge"]["judge_prompts"]);
    } catch (const Error& e) {
      throw Error(config_.source + ": task '" + config_.name + "', judge: " + e.what());
    }
    const std::string where = config_.source + ": task '" + config_.name + "'";
    baseline_model_ = FieldOr(raw, "baseline_model", "", where);
    if (mode_ == JudgeMode::kPairwise && baseline_model_.empty())
      throw Error(config_.source + ": task '" + config_.name + "' needs 'baseline_model'");
    if (raw.contains("categories_with_reference") && raw["categories_with_reference"].is_array()) {
      judge_.categories_with_reference.clear();
      for (const auto& c : raw["categories_with_reference"])
        judge_.categories_with_reference.push_back(FieldAs<std::string>(c, "categories_with_reference", where));
    }
    if (raw.contains("judgement_labels") && raw["judgement_labels"].is_object()) {
      const auto& l = raw["judgement_labels"];
      const std::string in_labels = where + ", judgement_labels";
      judge_.labels = {FieldOr(l, "A_wins", judge_.labels.a_wins, in_labels),
                       FieldOr(l, "B_wins", judge_.labels.b_wins, in_labels), FieldOr(l, "Tie", judge_.labels.tie, in_labels)};
    }
    ties_allowed_ = FieldOr(raw, "ties_allowed", true, where);
    if (raw["judge"].contains("judge_generation_kwargs") && raw["judge"]["judge_generation_kwargs"].is_object()) {
      judge_kwargs_ = raw["judge"]["judge_generation_kwargs"];
      // Read per judge request; checked once here.
      const std::string in_kwargs = where + ", judge.judge_generation_kwargs";
      FieldOr<int>(judge_kwargs_, "max_tokens", 0, in_kwargs);
      FieldOr<double>(judge_kwargs_, "temperature", 0, in_kwargs);
      FieldOr<double>(judge_kwargs_, "top_p", 0, in_kwargs);
    }

    rows_ = LoadTaskSplit(config_, lang_, Split::kTest, DataOptions{ctx_.data_dir, ctx_.data_revision},
                          SchemaFor(config_, lang_));
    if (ctx_.limit > 0 && static_cast<int>(rows_.size()) > ctx_.limit) rows_.resize(ctx_.limit);
    for (auto& row : rows_)
      if (!row.contains("question_id")) row["question_id"] = RowId(row);
  }

  const TaskConfig& config() const override { return config_; }
  const std::string& lang() const override { return lang_; }

  std::vector<Request> Requests(int round, const ResponseMap& done) override {
    std::vector<Request> out;
    if (round == 0) {
      for (const auto& row : rows_) out.push_back(TurnRequest(row, 1, std::nullopt));
    } else if (round == 1) {
      for (const auto& row : rows_)
        if (auto r1 = Answer(done, TurnId(row, 1))) out.push_back(TurnRequest(row, 2, *r1));
    } else if (round == 2) {
      for (const auto& row : rows_) {
        auto answers = ModelAnswers(row, done);
        if (!answers[0] || !answers[1]) continue;
        if (mode_ == JudgeMode::kCriteria) {
          for (auto& c : CriteriaSpecs(row, answers))
            out.push_back(MakeJudgeRequest(CriterionId(row, c.criterion_index), c.messages));
        } else {
          for (auto& spec : JudgeSpecs(row, answers))
            out.push_back(MakeJudgeRequest(JudgeId(row, spec.turn + 1, metrics::ToString(spec.position)), spec.messages));
        }
      }
    }
    return out;
  }

  TaskOutcome Score(const ResponseMap& done) override {
    TaskOutcome outcome;
    std::vector<metrics::ScoreItem> items;
    std::vector<bool> have_t1;
    for (const auto& row : rows_) {
      metrics::ScoreItem item;
      item.id = RowId(row);
      item.row = row;
      item.row.erase("__line");
      auto answers = ModelAnswers(row, done);
      for (const auto& a : answers) item.responses.push_back(a.value_or(""));
      bool failed = !answers[0] || !answers[1];
      for (const auto& id : JudgeIds(row)) {
        auto j = Answer(done, id);
        if (!j) failed = true;
        item.responses.push_back(j.value_or(""));
      }
      item.failed = failed;
      have_t1.push_back(answers[0].has_value());
      items.push_back(std::move(item));
    }
    metrics::ScoreOptions opts;
    opts.lang = lang_;
    opts.options = ctx_.scorer_options;
    if (mode_ == JudgeMode::kCriteria) {
      opts.options["classifications"] = criteria_.classifications;
    } else {
      opts.options["ties_allowed"] = ties_allowed_;
      opts.options["judgement_labels"] = {
          {"a_wins", judge_.labels.a_wins}, {"b_wins", judge_.labels.b_wins}, {"tie", judge_.labels.tie}};
    }
    auto scorer = metrics::MakeScorer(config_.scorer);
    metrics::ScoreResult result = scorer->Score(items, opts);
    outcome.metrics = result.metrics;
    outcome.n_rows = static_cast<int>(rows_.size());
    for (size_t i = 0; i < rows_.size(); ++i) {
      const auto& row = rows_[i];
      nlohmann::json rec = items[i].row;
      nlohmann::json convs = nlohmann::json::array();
      convs.push_back(TurnMessages(row, 1, std::nullopt));
      if (have_t1[i]) convs.push_back(TurnMessages(row, 2, items[i].responses[0]));
      rec["conversations"] = convs;
      rec["responses"] = {items[i].responses[0], items[i].responses[1]};
      rec["judge_responses"] = nlohmann::json(std::vector<std::string>(items[i].responses.begin() + kTurns,
                                                                       items[i].responses.end()));
      rec["status"] = items[i].failed ? "failed" : "ok";
      if (i < result.items.size()) {
        rec["cleaned_responses"] = metrics::CleanedText(items[i], result.items[i]);
        rec["individual_scores"] = result.items[i].individual_scores;
        if (!result.items[i].details.is_null()) rec["judgements"] = result.items[i].details;
      }
      if (items[i].failed) ++outcome.n_failed;
      outcome.rows.push_back(std::move(rec));
    }
    outcome.metrics["failed_count"] = outcome.n_failed;
    return outcome;
  }

 private:
  std::string Base(const nlohmann::json& row) const { return config_.name + "/" + lang_ + "/" + RowId(row); }
  std::string TurnId(const nlohmann::json& row, int turn) const { return Base(row) + "/t" + std::to_string(turn); }
  std::string JudgeId(const nlohmann::json& row, int turn, const std::string& pos) const {
    return Base(row) + "/judge/t" + std::to_string(turn) + "/" + pos;
  }
  std::string CriterionId(const nlohmann::json& row, size_t i) const {
    return Base(row) + "/judge/criterion" + std::to_string(i);
  }
  // The judge request ids of a row, in the order the scorer reads them.
  std::vector<std::string> JudgeIds(const nlohmann::json& row) const {
    std::vector<std::string> ids;
    if (mode_ == JudgeMode::kCriteria) {
      for (size_t i = 0; i < row["criteria"].size(); ++i) ids.push_back(CriterionId(row, i));
    } else {
      for (int t = 1; t <= kTurns; ++t)
        for (const char* pos : {"baseline-before", "baseline-after"}) ids.push_back(JudgeId(row, t, pos));
    }
    return ids;
  }

  // The answer text of a successful response (think text stripped when asked).
  std::optional<std::string> Answer(const ResponseMap& done, const std::string& id) const {
    auto it = done.find(id);
    if (it == done.end() || it->second.status != ResponseStatus::kOk) return std::nullopt;
    std::string text = it->second.text;
    if (ctx_.strip_think)
      if (size_t p = text.rfind("</think>"); p != std::string::npos) text = py::Strip(text.substr(p + 8));
    return text;
  }

  std::vector<std::optional<std::string>> ModelAnswers(const nlohmann::json& row, const ResponseMap& done) const {
    std::vector<std::optional<std::string>> a;
    for (int t = 1; t <= kTurns; ++t) a.push_back(Answer(done, TurnId(row, t)));
    return a;
  }

  std::string UserText(const nlohmann::json& row, int turn) const {
    const std::string text = row["prompts"][turn - 1]["text"].get<std::string>();
    try {
      std::string preamble = lc_.prompt.preamble;
      std::string body = py::Format(lc_.prompt.task_template.empty() ? "{text}" : lc_.prompt.task_template,
                                    {{"text", text}});
      // SEA-HELM joins the (empty) preamble and strips (SPEC 5.1).
      return py::Strip(preamble.empty() ? body : preamble + "\n\n" + body);
    } catch (const Error& e) {
      throw Error("task '" + config_.name + "' row '" + RowId(row) + "': " + e.what());
    }
  }

  std::vector<Message> TurnMessages(const nlohmann::json& row, int turn, const std::optional<std::string>& r1) const {
    std::vector<Message> m = {{"user", UserText(row, 1)}};
    if (turn == 2) {
      m.push_back({"assistant", r1.value_or("")});
      m.push_back({"user", UserText(row, 2)});
    }
    return m;
  }

  Request TurnRequest(const nlohmann::json& row, int turn, const std::optional<std::string>& r1) const {
    Request r;
    r.id = TurnId(row, turn);
    r.task = config_.name;
    r.lang = lang_;
    r.messages = TurnMessages(row, turn, r1);
    r.params = ctx_.ModelParams(lc_.max_tokens);
    return r;
  }

  std::vector<metrics::JudgeRequestSpec> JudgeSpecs(const nlohmann::json& row,
                                                    const std::vector<std::optional<std::string>>& answers) const {
    try {
      return metrics::BuildJudgeRequests(metrics::ConversationFromRow(row, answers, baseline_model_), judge_);
    } catch (const Error& e) {
      throw Error("task '" + config_.name + "' (" + lang_ + "): " + e.what());
    }
  }

  std::vector<metrics::CriterionRequest> CriteriaSpecs(const nlohmann::json& row,
                                                       const std::vector<std::optional<std::string>>& answers) const {
    try {
      return metrics::BuildCriteriaRequests(row, answers, criteria_);
    } catch (const Error& e) {
      throw Error("task '" + config_.name + "' (" + lang_ + "): " + e.what());
    }
  }

  Request MakeJudgeRequest(const std::string& id, const std::vector<Message>& messages) const {
    Request r;
    r.id = id;
    r.task = config_.name;
    r.lang = lang_;
    r.role = "judge";
    r.messages = messages;
    r.params.max_tokens = FieldOr<int>(judge_kwargs_, "max_tokens", 2048, "judge_generation_kwargs");
    if (judge_kwargs_.contains("temperature") && judge_kwargs_["temperature"].is_number())
      r.params.temperature = judge_kwargs_["temperature"].get<double>();
    if (judge_kwargs_.contains("top_p") && judge_kwargs_["top_p"].is_number())
      r.params.top_p = judge_kwargs_["top_p"].get<double>();
    r.params.seed = ctx_.seed;
    return r;
  }

  TaskConfig config_;
  LanguageConfig lc_;
  std::string lang_;
  TaskContext ctx_;
  JudgeMode mode_;
  std::string baseline_model_;
  metrics::MtBenchJudgeConfig judge_;
  metrics::CriteriaJudgeConfig criteria_;
  bool ties_allowed_ = true;
  nlohmann::json judge_kwargs_ = nlohmann::json::object();
  std::vector<nlohmann::json> rows_;
};

const RegisterTaskFamily kMtBench("mtbench", [](const TaskConfig& c, const std::string& lang,
                                                const TaskContext& ctx) -> std::unique_ptr<Task> {
  return std::make_unique<MtBenchTask>(c, lang, ctx, JudgeMode::kPairwise);
});
const RegisterTaskFamily kMtBenchJudge("mtbench_judge", [](const TaskConfig& c, const std::string& lang,
                                                           const TaskContext& ctx) -> std::unique_ptr<Task> {
  return std::make_unique<MtBenchTask>(c, lang, ctx, JudgeMode::kCriteria);
});

}  // namespace
}  // namespace bhasa::tasks
