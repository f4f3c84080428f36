// mt-bench-judge, the criteria variant of MT-Bench (spec B.9): one judge
// request per rubric criterion, a graded <classification>, and
// average_criteria_score. Pure functions, thread-safe.
//
// The config comes from SEA-HELM's mt_bench_judge/config.yaml `judge` block,
// converted to JSON by the task room: {"classifications": {CLASS_*: score},
// "judge_prompts": {"system_prompt": .., "criteria_prompt": {"turn_1": .., "turn_2": ..}}}.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/request.h"

namespace bhasa::metrics {

struct CriteriaJudgeConfig {
  std::string system_prompt;
  std::vector<std::string> turn_templates;     // criteria_prompt.turn_1, turn_2, ...
  std::map<std::string, double> classifications;
  // Throws bhasa::Error naming the missing key.
  static CriteriaJudgeConfig FromJson(const nlohmann::json& judge);
};

struct CriterionRequest {
  std::string custom_id;   // "{id}_turn{turn}_criteria{i}", turn 0-based as upstream
  int turn = 0;
  size_t criterion_index = 0;  // index into row.criteria
  std::vector<Message> messages;  // system, user
};

// Row fields: id, prompts[].text, criteria[] {turn, criterion}. The criterion
// text is str.format-ed with prompts[0]'s fields. A turn-1 criterion is
// skipped when the turn-0 answer is missing (upstream's TypeError path); other
// missing answers print as "None".
std::vector<CriterionRequest> BuildCriteriaRequests(const nlohmann::json& row,
                                                    const std::vector<std::optional<std::string>>& answers,
                                                    const CriteriaJudgeConfig& config);

// The score of the LAST <classification>\s*(\w+)\s*</classification> match;
// 0 when there is none or the class is unknown.
double ParseCriteriaScore(std::string_view judge_output, const std::map<std::string, double>& classifications);

}  // namespace bhasa::metrics
