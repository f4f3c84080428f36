// Where a task's rows are: our own layout, or a Hugging Face dataset named by
// SEA-HELM's `filepath` (a hub id like `aisingapore/NLU-Sentiment-Analysis`
// or a local path) and language config, found offline. Order of search:
//   1. DIR/<task>/<lang>/{test,examples}.jsonl               (our layout)
//   2. a filepath that is not a hub id: a local file or folder (absolute,
//      under DIR, or beside the task's config tree)
//   3. hub id ORG/NAME in local folders: DIR/ORG/NAME, DIR/NAME
//      (`huggingface-cli download --local-dir`, a repo clone)
//   4. the hub cache: DIR itself, $HF_HUB_CACHE, $HF_HOME/hub,
//      ~/.cache/huggingface/hub: datasets--ORG--NAME/snapshots/<revision>/,
//      the revision being --data-revision (a commit, or a ref under refs/),
//      else refs/main; then the refs/convert/parquet snapshot
// Inside a dataset folder, split S of config C is what the dataset card's
// `configs:` list names (README.md front matter, tasks/dataset_card.h), else
// the first of:
//   C/S-*.{parquet,jsonl,json,csv} or C/S.{…}     (push_to_hub's layout)
//   data/C/S-*… or data/C/S.…,  data/C-S-*…
//   C/S/*.parquet                                 (refs/convert/parquet)
//   data/S-*… or S.… at the top                   (config "default" only)
// SEA-HELM's test split is named "eval", the few-shot split "examples".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tasks/task_config.h"

namespace bhasa::tasks {

enum class Split { kTest, kExamples };

struct DataOptions {
  std::string data_dir;   // --data-dir
  std::string revision;   // --data-revision: "" = refs/main
};

struct SplitFiles {
  std::vector<std::string> files;  // shards in order (one file for JSONL layouts)
  std::string origin;              // where they were found, for messages and provenance
};

// The hub config SEA-HELM loads for `task` in `lang`: the language code, or
// for translation tasks `en_to_id`-style directions (translation-en-xx,
// translation-xx-en, translation-id-xx, translation-xx-id).
std::string HubConfigName(const std::string& task, const std::string& lang);

// Finds the split; nullopt when it is nowhere, with every place looked at
// appended to `tried`. Throws Error for an unusable --data-revision.
std::optional<SplitFiles> LocateSplit(const TaskConfig& config, const std::string& lang, Split split,
                                      const DataOptions& options, std::vector<std::string>* tried);

// Hub cache roots from the environment, in order ($HF_HUB_CACHE, $HF_HOME/hub,
// ~/.cache/huggingface/hub), existing ones only.
std::vector<std::string> HubCacheRoots();

// The dataset folder of hub id `repo` (ORG/NAME) inside hub cache `cache`:
// the snapshot named by `revision` (commit or ref), else refs/main, else the
// only snapshot. nullopt when the cache lacks the dataset.
std::optional<std::string> HubSnapshot(const std::string& cache, const std::string& repo, const std::string& revision);

// Split S of config C inside one dataset folder (the patterns above).
std::vector<std::string> FindSplitFiles(const std::string& root, const std::string& config, const std::string& split);

}  // namespace bhasa::tasks
