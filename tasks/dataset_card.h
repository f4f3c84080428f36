// A Hugging Face dataset card's file map: the `configs:` list in README.md's
// YAML front matter, which names each config's data files per split
// (`data_files: [{split: eval, path: id/eval-*}]`, a `{split: pattern}` map,
// or one pattern for the `train` split). Patterns are globs relative to the
// dataset folder.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bhasa::tasks {

// The files of `split` in `config` that the card in `root` names, sorted;
// nullopt when there is no card, no `configs:` list, or no such config or
// split (the caller then tries the usual layouts). Throws Error naming the
// README for malformed front matter.
std::optional<std::vector<std::string>> CardSplitFiles(const std::string& root, const std::string& config,
                                                       const std::string& split);

}  // namespace bhasa::tasks
