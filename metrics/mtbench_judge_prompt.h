// MT-Bench judge prompts (spec B.3/B.4): the judge messages for one question,
// every turn, both position orders. Pure functions of the dataset row, the
// model's answers and the prompt texts from the task config; thread-safe.
//
// The prompt texts come from SEA-HELM's mt_bench/config.yaml
// (`judge.judge_prompts`), read at run time so they stay byte-exact. The task
// room converts that YAML block to JSON and calls MtBenchJudgeConfig::FromJson:
//   {"without-reference": [{"system_prompt": .., "prompt_template": ..}, ...one per turn],
//    "with-reference":    [ ... ]}
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/request.h"
#include "metrics/mtbench_verdict.h"

namespace bhasa::metrics {

struct JudgePromptPair {
  std::string system_prompt;    // formatted with A_wins, B_wins, Tie
  std::string prompt_template;  // formatted with question_i, answer_a_i, answer_b_i, ref_answer_i
};

struct MtBenchJudgeConfig {
  std::vector<JudgePromptPair> without_reference;  // index = turn (0-based)
  std::vector<JudgePromptPair> with_reference;
  std::vector<std::string> categories_with_reference = {"math", "reasoning"};  // exact match
  JudgementLabels labels;

  // Throws bhasa::Error naming the missing key.
  static MtBenchJudgeConfig FromJson(const nlohmann::json& judge_prompts);
};

// One question as the judge sees it. A nullopt answer is written as "None",
// as Python's str.format does with None.
struct MtBenchConversation {
  std::string question_id;
  std::string category;
  std::vector<std::string> questions;                     // prompts[i].text, not stripped
  std::vector<std::optional<std::string>> model_answers;  // one per turn
  std::vector<std::optional<std::string>> baseline_answers;
  std::vector<std::optional<std::string>> references;     // may be empty
};

struct JudgeRequestSpec {
  std::string custom_id;  // "{question_id}_turn{t+1}_{baseline-before|baseline-after}"
  int turn = 0;           // 0-based
  Position position = Position::kBaselineBefore;
  std::vector<Message> messages;  // system, user
};

// For each turn t, baseline-before then baseline-after (SEA-HELM's order).
// Throws bhasa::Error when the question id contains '_' (upstream splits
// custom ids on it), when a turn has no prompt pair, or when a reference
// category lacks a reference answer.
std::vector<JudgeRequestSpec> BuildJudgeRequests(const MtBenchConversation& conv, const MtBenchJudgeConfig& config);

// Reads question_id, prompts[].text, metadata.category, baselines[baseline_model]
// and references from a SEA-HELM MT-Bench row. Throws naming the missing field.
MtBenchConversation ConversationFromRow(const nlohmann::json& row,
                                        const std::vector<std::optional<std::string>>& model_answers,
                                        const std::string& baseline_model);

}  // namespace bhasa::metrics
