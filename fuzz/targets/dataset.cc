// Dataset JSONL files: row parsing, normalization and the row schema of each
// task family (LoadRows stops at the first problem, CheckDataFile reports all).
#include <set>

#include "fuzz/support.h"
#include "tasks/dataset.h"
#include "tasks/row_schema.h"

namespace {

std::vector<bhasa::tasks::RowSchema> Schemas() {
  using namespace bhasa::tasks;
  std::vector<RowSchema> schemas(6);
  schemas[0].prompt_fields = {"text"};  // sentiment
  schemas[0].labels = {"Positif", "Negatif", "Netral"};
  schemas[1].label = LabelKind::kList;  // QA
  schemas[1].prompt_fields = {"question", "context"};
  const RowExtra extras[] = {RowExtra::kSeaIfeval, RowExtra::kEnIfeval, RowExtra::kMtBench, RowExtra::kMtBenchCriteria};
  for (int i = 0; i < 4; ++i) {
    RowSchema& s = schemas[2 + i];
    s.label = LabelKind::kNone;
    s.prompt_fields = {"text"};
    s.extra = extras[i];
    s.n_turns = i >= 2 ? 2 : 1;
  }
  schemas[4].baseline_model = "gpt-3.5-turbo-0125";
  schemas[4].reference_categories = {"math", "reasoning"};
  return schemas;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bhasa::tasks;
  static const bhasa::fuzz::ScratchDir dir;
  static const std::vector<RowSchema> schemas = Schemas();
  std::string path = dir.Write("test.jsonl", {reinterpret_cast<const char*>(data), size});
  for (const RowSchema& schema : schemas) {
    bhasa::fuzz::ExpectErrorOnly([&] {
      for (const auto& row : LoadRows(path, schema)) RowId(row);
    });
    bhasa::fuzz::ExpectErrorOnly([&] {
      std::vector<DataProblem> problems;
      CheckDataFile(path, schema, problems);
      for (const auto& p : problems) p.Format();
    });
  }
  return 0;
}
