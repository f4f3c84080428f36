#include "tasks/prompt.h"

#include "common/error.h"
#include "common/pystr.h"
#include "tasks/dataset.h"

namespace bhasa::tasks {

namespace {

std::string PyStr(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_null()) return "None";
  return v.dump();
}

std::string FormatOrThrow(const std::string& tmpl, const std::vector<std::pair<std::string, std::string>>& fields,
                          const nlohmann::json& row, const char* which) {
  try {
    return py::Format(tmpl, fields);
  } catch (const Error& e) {
    throw Error(std::string(which) + " for row '" + RowId(row) + "': " + e.what());
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> TemplateFields(const nlohmann::json& row, int turn,
                                                                bool include_row_columns) {
  std::vector<std::pair<std::string, std::string>> fields;
  const auto& prompts = row.at("prompts");
  if (turn - 1 < static_cast<int>(prompts.size()) && prompts[turn - 1].is_object())
    for (const auto& [k, v] : prompts[turn - 1].items()) fields.emplace_back(k, PyStr(v));
  if (include_row_columns) {
    for (const auto& [k, v] : row.items()) {
      if (k == "label" && v.is_array()) {
        // SEA-HELM replaces a list label (QA) by its first element for shots (SPEC 4.1).
        fields.emplace_back(k, v.empty() ? "" : PyStr(v[0]));
      } else if (k != "__line") {
        fields.emplace_back(k, PyStr(v));
      }
    }
  }
  return fields;
}

std::vector<Message> BuildConversation(const PromptTemplate& tmpl, const nlohmann::json& row,
                                       const std::vector<nlohmann::json>& examples, int turn) {
  std::vector<Message> msgs;
  for (const auto& e : examples) {
    auto f = TemplateFields(e, 1, false);
    f.emplace_back("answer_tag", tmpl.answer_tag);
    msgs.push_back({"user", FormatOrThrow(tmpl.task_template, f, e, "task_template")});
    auto a = TemplateFields(e, 1, true);
    a.emplace_back("answer_tag", tmpl.answer_tag);
    msgs.push_back({"assistant", FormatOrThrow(tmpl.answer_template, a, e, "answer_template")});
  }
  msgs.push_back({"user", FormatOrThrow(tmpl.task_template, TemplateFields(row, turn, false), row, "task_template")});
  std::string preamble = FormatOrThrow(tmpl.preamble, {{"answer_tag", tmpl.answer_tag}}, row, "preamble");
  msgs.front().content = py::Strip(preamble + "\n\n" + msgs.front().content);
  return msgs;
}

}  // namespace bhasa::tasks
