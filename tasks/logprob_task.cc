#include "tasks/logprob_task.h"

#include "common/error.h"
#include "metrics/scorer.h"
#include "tasks/dataset.h"

namespace bhasa::tasks {
namespace {

// The id suffix of a row's second round.
constexpr const char* kScoreSuffix = "/logprob";

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

LogprobTask::LogprobTask(const TaskConfig& config, const std::string& lang, const TaskContext& ctx)
    : prompts_(config, lang, ctx), lc_(config.languages.at(lang)) {
  if (lc_.prompt.answer_tag.empty())
    throw Error("task '" + config.name + "' (" + lang + "): a log-probability task needs the prompt's answer_tag");
}

std::string LogprobTask::Separator(const LanguageConfig& lc) {
  const std::string& t = lc.prompt.answer_template;
  const size_t tag = t.find("{answer_tag}");
  if (tag != std::string::npos) {
    const size_t from = tag + std::string("{answer_tag}").size();
    const size_t label = t.find("{label}", from);
    // The regex's `.` stops at a line break.
    if (label != std::string::npos && t.find('\n', from) >= label) return t.substr(from, label - from);
  }
  if (lc.raw.contains("prompt_template") && lc.raw["prompt_template"].is_object()) {
    const auto& p = lc.raw["prompt_template"];
    if (auto s = p.find("answer_tag_separator"); s != p.end() && s->is_string()) return s->get<std::string>();
  }
  return " ";
}

std::vector<Request> LogprobTask::FirstRequests() {
  // The family's own prompt, in every model kind stopped right after the
  // answer tag (SPEC §C.2).
  auto out = prompts_.Requests(0, {});
  for (Request& r : out) {
    r.params.stop = {lc_.prompt.answer_tag};
    r.params.include_stop_str_in_output = true;
  }
  return out;
}

std::vector<Request> LogprobTask::Requests(int round, const ResponseMap& done) {
  if (round == 0) return FirstRequests();
  if (round > 1) return {};
  std::vector<Request> out;
  const std::string separator = Separator(lc_);
  const std::vector<Request> firsts = FirstRequests();  // one per row, in row order
  for (size_t i = 0; i < firsts.size(); ++i) {
    const nlohmann::json& row = prompts_.rows()[i];
    auto it = done.find(firsts[i].id);
    if (it == done.end() || it->second.status != ResponseStatus::kOk) continue;
    const Response& p1 = it->second;
    // A row whose answer ended without the tag is skipped (SPEC §C.3).
    if (p1.finish_reason == "length" || !EndsWith(p1.text, lc_.prompt.answer_tag)) continue;
    if (!row.contains("label") || !row["label"].is_string()) continue;
    Request r = firsts[i];
    r.id += kScoreSuffix;
    r.messages.push_back({"assistant", p1.text + separator + row["label"].get<std::string>()});
    r.continue_final_message = true;
    r.params.max_tokens = 1;
    r.params.stop.clear();
    r.params.include_stop_str_in_output = false;
    r.params.prompt_logprobs = 0;
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<double> LogprobTask::CumulativeLogprob(const Response& first, const Response& second) {
  if (!second.logprobs.is_object()) return std::nullopt;
  auto prompt = second.logprobs.find("prompt");
  if (prompt == second.logprobs.end() || !prompt->is_array()) return std::nullopt;
  // The first answer's end: its prompt and its tokens (SPEC §C.4).
  const size_t from = static_cast<size_t>(first.prompt_tokens + first.completion_tokens);
  if (from == 0 || from >= prompt->size()) return std::nullopt;
  double sum = 0;
  for (size_t j = from; j < prompt->size(); ++j) {
    const nlohmann::json& lp = (*prompt)[j].is_object() ? (*prompt)[j].value("logprob", nlohmann::json()) : nlohmann::json();
    if (!lp.is_number()) return std::nullopt;
    sum += lp.get<double>();
  }
  return sum;
}

TaskOutcome LogprobTask::Score(const ResponseMap& done) {
  TaskOutcome outcome;
  const auto& rows = prompts_.rows();
  const std::vector<Request> firsts = FirstRequests();
  std::vector<metrics::ScoreItem> items;
  std::vector<const Response*> answers;
  for (size_t i = 0; i < rows.size(); ++i) {
    metrics::ScoreItem item;
    item.id = RowId(rows[i]);
    item.label = rows[i].contains("label") ? rows[i]["label"] : nlohmann::json();
    item.row = rows[i];
    item.row.erase("__line");
    auto p1 = done.find(firsts[i].id);
    auto p2 = done.find(firsts[i].id + kScoreSuffix);
    const Response* first = p1 == done.end() ? nullptr : &p1->second;
    if (!first || first->status != ResponseStatus::kOk ||
        (p2 != done.end() && p2->second.status != ResponseStatus::kOk)) {
      item.failed = true;
    } else if (p2 != done.end()) {
      item.logprob = CumulativeLogprob(*first, p2->second);
    }
    item.responses = {first && first->status == ResponseStatus::kOk ? first->text : ""};
    answers.push_back(first);
    items.push_back(std::move(item));
  }
  metrics::ScoreOptions opts;
  opts.lang = lang();
  opts.answer_tag = lc_.prompt.answer_tag;
  const metrics::ScoreResult result = metrics::MakeScorer(config().scorer)->Score(items, opts);
  outcome.metrics = result.metrics;
  outcome.n_rows = static_cast<int>(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    nlohmann::json rec = items[i].row;
    rec["conversations"] = firsts[i].messages;
    const Response* p1 = answers[i];
    rec["responses"] = {items[i].responses[0]};
    rec["finish_reasons"] = {p1 ? p1->finish_reason : ""};
    rec["errors"] = {p1 && !p1->error.empty() ? nlohmann::json(p1->error) : nlohmann::json(nullptr)};
    const int pt = p1 ? p1->prompt_tokens : 0, ct = p1 ? p1->completion_tokens : 0;
    rec["token_usages"] = {{{"prompt_tokens", pt}, {"completion_tokens", ct}, {"total_tokens", pt + ct}}};
    rec["cumulative_logprobs"] = {items[i].logprob ? nlohmann::json(*items[i].logprob) : nlohmann::json()};
    rec["status"] = items[i].failed ? "failed" : "ok";
    rec["individual_scores"] = i < result.items.size() ? result.items[i].individual_scores : nlohmann::json();
    if (items[i].failed) ++outcome.n_failed;
    outcome.rows.push_back(std::move(rec));
  }
  outcome.metrics["failed_count"] = outcome.n_failed;
  return outcome;
}

}  // namespace bhasa::tasks
