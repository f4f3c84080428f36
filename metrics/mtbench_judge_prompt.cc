#include "metrics/mtbench_judge_prompt.h"

#include <algorithm>

#include "common/error.h"
#include "common/pystr.h"

namespace bhasa::metrics {
namespace {

std::vector<JudgePromptPair> ReadPairs(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_array()) throw Error(std::string("judge_prompts: missing list '") + key + "'");
  std::vector<JudgePromptPair> out;
  for (size_t i = 0; i < j[key].size(); ++i) {
    const auto& e = j[key][i];
    const std::string where = std::string("judge_prompts.") + key + "[" + std::to_string(i) + "]";
    if (!e.contains("system_prompt") || !e["system_prompt"].is_string())
      throw Error(where + ": missing string 'system_prompt'");
    if (!e.contains("prompt_template") || !e["prompt_template"].is_string())
      throw Error(where + ": missing string 'prompt_template'");
    out.push_back({e["system_prompt"].get<std::string>(), e["prompt_template"].get<std::string>()});
  }
  return out;
}

std::string OrNone(const std::optional<std::string>& s) { return s ? *s : std::string("None"); }

std::optional<std::string> OptString(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return std::nullopt;
}

}  // namespace

MtBenchJudgeConfig MtBenchJudgeConfig::FromJson(const nlohmann::json& judge_prompts) {
  MtBenchJudgeConfig c;
  c.without_reference = ReadPairs(judge_prompts, "without-reference");
  c.with_reference = ReadPairs(judge_prompts, "with-reference");
  return c;
}

std::vector<JudgeRequestSpec> BuildJudgeRequests(const MtBenchConversation& conv, const MtBenchJudgeConfig& config) {
  if (conv.question_id.find('_') != std::string::npos)
    throw Error("mt-bench question id '" + conv.question_id + "' contains '_' (custom ids are split on it)");
  const auto& cats = config.categories_with_reference;
  const bool with_ref = std::find(cats.begin(), cats.end(), conv.category) != cats.end();
  const auto& pairs = with_ref ? config.with_reference : config.without_reference;
  const std::vector<std::pair<std::string, std::string>> system_fields = {
      {"A_wins", config.labels.a_wins}, {"B_wins", config.labels.b_wins}, {"Tie", config.labels.tie}};
  std::vector<JudgeRequestSpec> out;
  for (size_t t = 0; t < conv.model_answers.size(); ++t) {
    if (t >= pairs.size())
      throw Error("mt-bench question " + conv.question_id + ": no judge prompt for turn " + std::to_string(t + 1));
    for (Position pos : {Position::kBaselineBefore, Position::kBaselineAfter}) {
      std::vector<std::pair<std::string, std::string>> vars;
      for (size_t i = 0; i <= t; ++i) {
        const std::string n = std::to_string(i + 1);
        if (i >= conv.questions.size() || i >= conv.baseline_answers.size())
          throw Error("mt-bench question " + conv.question_id + ": turn " + n + " has no question or baseline answer");
        const std::string model = OrNone(conv.model_answers[i]);
        const std::string base = OrNone(conv.baseline_answers[i]);
        vars.emplace_back("question_" + n, conv.questions[i]);
        vars.emplace_back("answer_a_" + n, pos == Position::kBaselineAfter ? model : base);
        vars.emplace_back("answer_b_" + n, pos == Position::kBaselineAfter ? base : model);
        if (with_ref) {
          if (i >= conv.references.size())
            throw Error("mt-bench question " + conv.question_id + " (" + conv.category + "): no reference for turn " + n);
          vars.emplace_back("ref_answer_" + n, OrNone(conv.references[i]));
        }
      }
      JudgeRequestSpec r;
      r.custom_id = conv.question_id + "_turn" + std::to_string(t + 1) + "_" + ToString(pos);
      r.turn = static_cast<int>(t);
      r.position = pos;
      r.messages = {{"system", py::Format(pairs[t].system_prompt, system_fields)},
                    {"user", py::Format(pairs[t].prompt_template, vars)}};
      out.push_back(std::move(r));
    }
  }
  return out;
}

MtBenchConversation ConversationFromRow(const nlohmann::json& row,
                                        const std::vector<std::optional<std::string>>& model_answers,
                                        const std::string& baseline_model) {
  MtBenchConversation c;
  if (!row.contains("question_id")) throw Error("mt-bench row: missing 'question_id'");
  const auto& qid = row["question_id"];
  c.question_id = qid.is_string() ? qid.get<std::string>() : qid.dump();
  const std::string where = "mt-bench row " + c.question_id;
  if (!row.contains("prompts") || !row["prompts"].is_array()) throw Error(where + ": missing 'prompts'");
  for (const auto& p : row["prompts"]) {
    if (!p.contains("text") || !p["text"].is_string()) throw Error(where + ": prompts[].text must be a string");
    c.questions.push_back(p["text"].get<std::string>());
  }
  if (!row.contains("metadata") || !row["metadata"].contains("category") || !row["metadata"]["category"].is_string())
    throw Error(where + ": missing 'metadata.category'");
  c.category = row["metadata"]["category"].get<std::string>();
  if (!row.contains("baselines") || !row["baselines"].contains(baseline_model) ||
      !row["baselines"][baseline_model].is_array())
    throw Error(where + ": missing baselines['" + baseline_model + "']");
  for (const auto& b : row["baselines"][baseline_model]) c.baseline_answers.push_back(OptString(b));
  if (row.contains("references") && row["references"].is_array())
    for (const auto& r : row["references"]) c.references.push_back(OptString(r));
  c.model_answers = model_answers;
  return c;
}

}  // namespace bhasa::metrics
