// RowSchema: what one task family × language requires of a dataset row
// (SEA-HELM's row schema, SPEC 4.2 and SPEC-IF A.1/A.9/B.1), and the checker
// shared by the task loaders (which stop at the first problem) and
// `bhasa data check` (which reports every problem). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tasks/task_config.h"

namespace bhasa::tasks {

enum class LabelKind {
  kString,  // classification, translation, summarization: one string
  kList,    // QA: a non-empty list of gold answers (a plain string is accepted and wrapped)
  kNone,    // IFEval, MT-Bench: no label column
};

enum class RowExtra {
  kNone,
  kSeaIfeval,  // metadata.subcategory (a known SEA-IFEval id), metadata.category, kwargs
  kEnIfeval,   // metadata.instruction_id_list (or instruction_id_list), kwargs aligned with it
  kMtBench,    // two turns, metadata.category, baselines[baseline_model], references
  kMtBenchCriteria,  // two turns, criteria [{turn, criterion}] (SEA-HELM mt-bench-judge)
};

struct RowSchema {
  LabelKind label = LabelKind::kString;
  std::vector<std::string> prompt_fields;  // required string keys of every prompts[i] checked
  int n_turns = 1;                         // prompts must hold exactly this many turns (1: at least one)
  std::vector<std::string> labels;         // the allowed gold labels; empty = any string
  RowExtra extra = RowExtra::kNone;
  std::string baseline_model;              // MT-Bench: the key of `baselines` compared against
  std::vector<std::string> reference_categories;  // MT-Bench: categories judged with a reference
};

// The schema for `config` in `lang`: prompt fields from the family, labels
// from the language block's `labels`, MT-Bench keys from the task node.
RowSchema SchemaFor(const TaskConfig& config, const std::string& lang);

// The label kind a scorer reads ("qa" → list, IFEval/MT-Bench → none).
LabelKind LabelKindForScorer(const std::string& scorer);

struct RowProblem {
  std::string column;   // e.g. "label", "prompts[0].text", "kwargs[0]"
  std::string problem;  // what is wrong, naming the offending value
};

// A row in its source dataset's own shape, mapped as SEA-HELM's dataloader
// maps it before anything reads it: for English IFEval, google/IFEval's
// {key, prompt, instruction_id_list, kwargs} becomes {id: key, prompts:
// [{text: prompt}], metadata: {language: "en", instruction_id_list}, kwargs}
// (its other columns dropped). Rows already in SEA-HELM's shape, and rows of
// other families, are left as they are.
void MapSourceRow(nlohmann::json& row, const RowSchema& schema);

// Every problem of one parsed row (not id uniqueness, which needs the file).
// The row is not modified.
std::vector<RowProblem> CheckRow(const nlohmann::json& row, const RowSchema& schema);

// The row's id column: "id", or MT-Bench's "question_id"; null when absent.
const nlohmann::json* RowIdField(const nlohmann::json& row);

}  // namespace bhasa::tasks
