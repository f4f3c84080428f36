// Task definitions: our tasks/*.yaml format, SEA-HELM's config.yaml tree and
// constants.yaml, merged and `${a.b}`-interpolated by LoadCatalog, then the
// row schema of every task and language it defines.
// Input: tasks.yaml, constants.yaml, task_config.yaml (fuzz/support.h parts).
#include "fuzz/support.h"
#include "tasks/row_schema.h"
#include "tasks/task_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bhasa::tasks;
  static const bhasa::fuzz::ScratchDir dir;
  auto parts = bhasa::fuzz::SplitParts(data, size, 3);
  dir.Reset();
  dir.Write("fuzz.yaml", parts[0]);
  if (!parts[1].empty()) dir.Write("constants.yaml", parts[1]);
  if (!parts[2].empty()) dir.Write("task_config.yaml", parts[2]);
  bhasa::fuzz::ExpectErrorOnly([&] {
    TaskCatalog catalog = LoadCatalog(dir.path());
    for (const auto& [name, config] : catalog.tasks) {
      catalog.GroupMembers(config.aggregation_group);
      for (const auto& [lang, unused] : config.languages) SchemaFor(config, lang);
    }
  });
  return 0;
}
