// Prompt construction exactly as SEA-HELM builds it (SPEC 5.1).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/request.h"
#include "tasks/task_config.h"

namespace bhasa::tasks {

// The conversation for one dataset row: `examples` (already cut to the shot
// count) become user/assistant turns, the preamble is joined to the first user
// message, and the row's own task text is the last user message.
// Throws Error naming the row id and the missing template field.
std::vector<Message> BuildConversation(const PromptTemplate& tmpl, const nlohmann::json& row,
                                       const std::vector<nlohmann::json>& examples, int turn = 1);

// The fields a template may reference for a row: prompts[turn-1] keys, plus the
// row's top-level columns (for answer_template), stringified as Python's str() would.
std::vector<std::pair<std::string, std::string>> TemplateFields(const nlohmann::json& row, int turn,
                                                                bool include_row_columns);

}  // namespace bhasa::tasks
