// Bad input: every problem names the file, line and column; `CheckDataFile`
// reports each bad row instead of stopping at the first; the bundled samples
// are clean.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "tasks/dataset.h"
#include "tasks/task.h"
#include "tasks/task_config.h"
#include "tests/test_support.h"

namespace bhasa::tasks {
namespace {

namespace fs = std::filesystem;
using testing::SourceDir;
using testing::TempDir;

std::string WriteFile(const std::string& path, const std::string& body) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << body;
  return path;
}

std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const TaskCatalog& Ours() {
  static TaskCatalog cat = LoadCatalog(SourceDir() + "/tasks");
  return cat;
}

TEST(BadInput, MissingSplitNamesTheFileAndTheLayout) {
  TaskContext ctx;
  ctx.data_dir = TempDir("nosplit");
  std::string e = ErrorOf([&] { MakeTask(Ours().Get("nli"), "vi", ctx); });
  EXPECT_NE(e.find(ctx.data_dir + "/nli/vi/test.jsonl"), std::string::npos) << e;
  EXPECT_NE(e.find("DATA_DIR/<task>/<lang>/test.jsonl"), std::string::npos) << e;

  WriteFile(ctx.data_dir + "/nli/vi/test.jsonl",
            R"({"id": "1", "label": "A", "prompts": [{"sentence1": "a", "sentence2": "b"}]})" "\n");
  ctx.kind = ModelKind::kBase;
  e = ErrorOf([&] { MakeTask(Ours().Get("nli"), "vi", ctx); });
  EXPECT_NE(e.find("5-shot prompting needs the examples split: " + ctx.data_dir + "/nli/vi/examples.jsonl"),
            std::string::npos) << e;
}

TEST(BadInput, MissingColumnWrongTypeAndOutOfSetLabelNameFileLineAndColumn) {
  auto dir = TempDir("badcol");
  auto path = WriteFile(dir + "/t.jsonl",
                        R"({"id": "ok", "label": "A", "prompts": [{"sentence1": "a", "sentence2": "b"}]})" "\n"
                        R"({"id": "r2", "label": "A", "prompts": [{"sentence1": "a"}]})" "\n");
  auto schema = SchemaFor(Ours().Get("nli"), "id");
  std::string e = ErrorOf([&] { LoadRows(path, schema); });
  EXPECT_EQ(e, path + ":2: row 'r2': missing column 'prompts[0].sentence2'");

  WriteFile(path, R"({"id": "r1", "label": "D", "prompts": [{"sentence1": "a", "sentence2": "b"}]})" "\n");
  e = ErrorOf([&] { LoadRows(path, schema); });
  EXPECT_EQ(e, path + ":1: row 'r1': column 'label': gold label 'D' is outside the label set (A, B, C)");

  WriteFile(path, R"({"id": "q1", "label": 3, "prompts": [{"text": "t", "question": "q"}]})" "\n");
  e = ErrorOf([&] { LoadRows(path, SchemaFor(Ours().Get("qa"), "id")); });
  EXPECT_EQ(e, path + ":1: row 'q1': column 'label': must be a non-empty list of gold answer strings");

  WriteFile(path, R"({"id": "a", "label": "A", "prompts": [{"sentence1": "a", "sentence2": "b"}]})" "\n"
                  R"({"id": "a", "label": "B", "prompts": [{"sentence1": "a", "sentence2": "b"}]})" "\n");
  e = ErrorOf([&] { LoadRows(path, schema); });
  EXPECT_EQ(e, path + ":2: duplicate id 'a'");

  WriteFile(path, "{\"id\": \"x\",\n");
  e = ErrorOf([&] { LoadRows(path, schema); });
  EXPECT_NE(e.find(path + ":1: malformed JSON"), std::string::npos) << e;
}

TEST(BadInput, QaStringLabelsAreWrappedAndQuestionIdsBecomeIds) {
  auto dir = TempDir("wrap");
  auto path = WriteFile(dir + "/t.jsonl", R"({"id": 7, "label": "114", "prompts": [{"text": "t", "question": "q"}]})" "\n");
  auto rows = LoadRows(path, SchemaFor(Ours().Get("qa"), "th"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["label"], nlohmann::json::array({"114"}));
  EXPECT_EQ(RowId(rows[0]), "7");
}

TEST(DataCheck, ReportsEveryBadRowWithFileLineColumnAndProblem) {
  auto dir = TempDir("check");
  auto path = WriteFile(dir + "/tox.jsonl",
                        R"({"id": "t1", "label": "Bersih", "prompts": [{"text": "baik"}]})" "\n"
                        R"({"id": "t2", "label": "Jahat", "prompts": [{"text": "x"}]})" "\n"
                        "not json\n"
                        R"({"id": "t4", "label": "Kasar", "prompts": []})" "\n"
                        R"({"id": "t1", "label": "Benci", "prompts": [{"text": 5}]})" "\n"
                        R"([1, 2])" "\n");
  std::vector<DataProblem> problems;
  size_t rows = CheckDataFile(path, SchemaFor(Ours().Get("toxicity"), "id"), problems);
  EXPECT_EQ(rows, 4u);
  std::vector<std::string> got;
  for (const auto& p : problems) got.push_back(p.Format());
  std::vector<std::string> want = {
      path + ":2: row 't2': column 'label': gold label 'Jahat' is outside the label set (Bersih, Kasar, Benci)",
      path + ":3: malformed JSON",
      path + ":4: row 't4': column 'prompts': must be a non-empty list of objects (one per turn)",
      path + ":5: row 't1': column 'prompts[0].text': must be a string",
      path + ":5: row 't1': column 'id': duplicate id 't1'",
      path + ":6: expected a JSON object, got array",
  };
  EXPECT_EQ(got, want);
}

TEST(DataCheck, IfevalAndMtBenchRowsAreCheckedForTheirOwnColumns) {
  auto dir = TempDir("check2");
  auto ifp = WriteFile(dir + "/if.jsonl",
                       R"({"id": "i1", "prompts": [{"text": "x"}], "metadata": {"subcategory": "keywords:nope", "category": "keywords"}, "kwargs": [{}]})" "\n"
                       R"({"id": "i2", "prompts": [{"text": "x"}], "metadata": {"subcategory": "startend:quotation", "category": "startend"}})" "\n");
  std::vector<DataProblem> problems;
  CheckDataFile(ifp, SchemaFor(Ours().Get("if-eval"), "id"), problems);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].Format(), ifp + ":1: row 'i1': column 'metadata.subcategory': unknown SEA-IFEval instruction id 'keywords:nope'");
  EXPECT_EQ(problems[1].column, "kwargs");

  auto enp = WriteFile(dir + "/en.jsonl",
                       R"({"id": "e1", "prompts": [{"text": "x"}], "metadata": {"instruction_id_list": ["punctuation:no_comma", "startend:quotation"]}, "kwargs": [{}]})" "\n");
  problems.clear();
  CheckDataFile(enp, SchemaFor(Ours().Get("ifeval"), "en"), problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].problem, "has 1 entries but metadata.instruction_id_list has 2");

  auto mtp = WriteFile(dir + "/mt.jsonl",
                       R"({"question_id": "q_1", "prompts": [{"text": "a"}], "metadata": {"category": "math"}, "baselines": {"other": ["x", "y"]}})" "\n");
  problems.clear();
  CheckDataFile(mtp, SchemaFor(Ours().Get("mt-bench"), "id"), problems);
  std::vector<std::string> cols;
  for (const auto& p : problems) cols.push_back(p.column);
  EXPECT_EQ(cols, (std::vector<std::string>{"prompts", "question_id", "baselines", "references"}));
  EXPECT_NE(problems[2].problem.find("'gpt-4.1-2025-04-14' (has: other)"), std::string::npos) << problems[2].problem;
}

TEST(DataCheck, TheBundledSamplesAreCleanForEveryTaskAndLanguage) {
  std::vector<DataProblem> problems;
  size_t rows = 0, pairs = 0;
  for (const auto& [name, cfg] : Ours().tasks)
    for (const auto& [lang, lc] : cfg.languages) {
      rows += CheckTaskData(cfg, lang, SourceDir() + "/data/samples", problems);
      ++pairs;
    }
  for (const auto& p : problems) ADD_FAILURE() << p.Format();
  EXPECT_EQ(pairs, 57u);  // 42 task-language pairs and 15 of their -logprobs versions
  EXPECT_GE(rows, 8u * pairs);
}

}  // namespace
}  // namespace bhasa::tasks
