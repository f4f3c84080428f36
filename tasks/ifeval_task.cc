// IFEval tasks: SEA-IFEval (family "ifeval", SEA-HELM `if-eval`) and Google's
// English IFEval (family "ifeval_en", SEA-HELM `ifeval`). One zero-shot turn:
// the row's prompts[0].text through the task template (SEA-HELM: "{text}",
// empty preamble, so the prompt is the stripped text), scored by the scorer
// the config names ("ifeval" / "ifeval_en") from the row's instruction ids and
// kwargs (schema checked at load: tasks/row_schema.cc).
//
// Base models: SEA-HELM skips both tasks (constants.yaml); when asked anyway
// they get the same zero-shot prompt, never the answer-tag two-phase decoding.
#include "common/error.h"
#include "tasks/dataset.h"
#include "tasks/prompt_task.h"

namespace bhasa::tasks {
namespace {

TaskContext ZeroShot(TaskContext ctx) {
  ctx.kind = ModelKind::kInstruct;
  return ctx;
}

class IfevalTask : public PromptTask {
 public:
  IfevalTask(const TaskConfig& config, const std::string& lang, const TaskContext& ctx)
      : PromptTask(WithoutShots(config), lang, ZeroShot(ctx)) {
    if (this->config().family == "ifeval_en") FixKey1174();
  }

 private:
  static TaskConfig WithoutShots(TaskConfig c) {
    c.fewshot_instruct = 0;
    c.fewshot_base = 0;
    return c;
  }

  // google/IFEval key 1174 asks for a letter "at least 6 times" but its data
  // says "less than"; SEA-HELM's dataloader corrects it (SPEC-IF A.9).
  void FixKey1174() {
    for (auto& row : mutable_rows()) {
      if (RowId(row) != "1174" || !row.contains("kwargs") || !row["kwargs"].is_array()) continue;
      for (auto& kw : row["kwargs"])
        if (kw.is_object() && kw.contains("let_relation")) kw["let_relation"] = "at least";
    }
  }
};

TaskFactory MakeIfevalFactory() {
  return [](const TaskConfig& c, const std::string& lang, const TaskContext& ctx) -> std::unique_ptr<Task> {
    return std::make_unique<IfevalTask>(c, lang, ctx);
  };
}

const RegisterTaskFamily kSeaIfeval("ifeval", MakeIfevalFactory());
const RegisterTaskFamily kEnglishIfeval("ifeval_en", MakeIfevalFactory());

}  // namespace
}  // namespace bhasa::tasks
