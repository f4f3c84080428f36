#include "tasks/data_source.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "tasks/data_files.h"
#include "tasks/dataset_card.h"
#include "tasks/dataset.h"

namespace bhasa::tasks {
namespace {

namespace fs = std::filesystem;

bool IsDir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}
bool IsFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Data files in `dir` whose names start with `prefix` followed by '-' or
// '.', or any data file when `prefix` is empty; sorted (shard order).
std::vector<std::string> DataFilesIn(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> out;
  if (!IsDir(dir)) return out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    DataFormat format;
    if (!DataFormatOf(name, &format) || !IsFile(e.path())) continue;
    if (!prefix.empty() && !(name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
                             (name[prefix.size()] == '-' || name[prefix.size()] == '.')))
      continue;
    out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  // Shards of one split share a format; mixed formats would mean duplicates.
  if (!out.empty()) {
    DataFormat f0, f;
    DataFormatOf(out[0], &f0);
    std::erase_if(out, [&](const std::string& p) { return DataFormatOf(p, &f) && f != f0; });
  }
  return out;
}

bool IsHubId(const std::string& s) {
  const size_t slash = s.find('/');
  return slash != std::string::npos && slash > 0 && s.find('/', slash + 1) == std::string::npos &&
         s.find("..") == std::string::npos && s[0] != '.' && !fs::path(s).has_extension();
}

// huggingface_hub stores the ref of revision R in refs/R.
constexpr const char* kParquetRef = "refs/convert/parquet";

std::string SplitName(Split s) { return s == Split::kTest ? "eval" : "examples"; }

// `datasets`' split keywords: a data file whose name holds one as a word
// (between separators) belongs to that split when the card names none.
bool NamesASplit(const std::string& file_name) {
  static const std::set<std::string> kKeywords = {"train", "training", "validation", "valid", "dev", "val",
                                                  "test", "testing", "eval", "evaluation"};
  std::string word;
  for (char c : file_name + ".") {
    if (c == '-' || c == '.' || c == '_' || c == ' ' || (c >= '0' && c <= '9')) {
      if (kKeywords.count(word)) return true;
      word.clear();
    } else {
      word += c;
    }
  }
  return false;
}

}  // namespace

std::string HubConfigName(const std::string& task, const std::string& lang) {
  // translation-en-xx → en_to_<lang>, translation-xx-id → <lang>_to_id, ...
  const std::string prefix = "translation-";
  if (task.rfind(prefix, 0) == 0) {
    const std::string dir = task.substr(prefix.size());
    const size_t dash = dir.find('-');
    if (dash != std::string::npos) {
      std::string from = dir.substr(0, dash), to = dir.substr(dash + 1);
      if (from == "xx") from = lang;
      if (to == "xx") to = lang;
      return from + "_to_" + to;
    }
  }
  return lang;
}

std::vector<std::string> HubCacheRoots() {
  std::vector<std::string> roots;
  auto add = [&](const std::string& p) {
    if (!p.empty() && IsDir(p) && std::find(roots.begin(), roots.end(), p) == roots.end()) roots.push_back(p);
  };
  if (const char* v = std::getenv("HF_HUB_CACHE"); v && *v) add(v);
  if (const char* v = std::getenv("HF_HOME"); v && *v) add(std::string(v) + "/hub");
  if (const char* v = std::getenv("HOME"); v && *v) add(std::string(v) + "/.cache/huggingface/hub");
  return roots;
}

std::optional<std::string> HubSnapshot(const std::string& cache, const std::string& repo, const std::string& revision) {
  const size_t slash = repo.find('/');
  const fs::path base = fs::path(cache) / ("datasets--" + repo.substr(0, slash) + "--" + repo.substr(slash + 1));
  if (!IsDir(base / "snapshots")) return std::nullopt;
  auto snapshot_of_ref = [&](const std::string& ref) -> std::optional<std::string> {
    const fs::path ref_file = base / "refs" / ref;
    if (!IsFile(ref_file)) return std::nullopt;
    const std::string commit = Trim(ReadFile(ref_file.string()));
    if (commit.empty() || commit.find('/') != std::string::npos || commit.find("..") != std::string::npos)
      throw Error(ref_file.string() + ": not a commit hash");
    if (!IsDir(base / "snapshots" / commit))
      throw Error(ref_file.string() + ": names snapshot " + commit + ", which is not in the cache");
    return (base / "snapshots" / commit).string();
  };
  if (!revision.empty()) {
    if (revision.find("..") != std::string::npos) throw Error("--data-revision '" + revision + "' is not a revision");
    if (IsDir(base / "snapshots" / revision)) return (base / "snapshots" / revision).string();
    if (auto s = snapshot_of_ref(revision)) return s;
    return std::nullopt;
  }
  if (auto s = snapshot_of_ref("main")) return s;
  std::vector<fs::path> snaps;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(base / "snapshots", ec))
    if (e.is_directory()) snaps.push_back(e.path());
  if (snaps.size() == 1) return snaps[0].string();
  return std::nullopt;
}

std::vector<std::string> FindSplitFiles(const std::string& root_str, const std::string& config, const std::string& split) {
  const fs::path root(root_str);
  if (auto files = CardSplitFiles(root_str, config, split)) return *files;
  for (const auto& [dir, prefix] : std::vector<std::pair<fs::path, std::string>>{
           {root / config, split}, {root / "data" / config, split}, {root / "data", config + "-" + split}}) {
    if (auto files = DataFilesIn(dir, prefix); !files.empty()) return files;
  }
  if (auto files = DataFilesIn(root / config / split, ""); !files.empty()) return files;
  if (config == "default")
    for (const fs::path& dir : {root / "data", root})
      if (auto files = DataFilesIn(dir, split); !files.empty()) return files;
  // Without split names in the file names, `datasets` puts every data file in
  // `train` (google/IFEval's ifeval_input_data.jsonl).
  if (config == "default" && split == "train")
    for (const fs::path& dir : {root / "data", root}) {
      auto files = DataFilesIn(dir, "");
      if (!files.empty() && std::none_of(files.begin(), files.end(), [](const std::string& f) {
            return NamesASplit(fs::path(f).filename().string());
          }))
        return files;
    }
  return {};
}

std::optional<SplitFiles> LocateSplit(const TaskConfig& config, const std::string& lang, Split split,
                                      const DataOptions& options, std::vector<std::string>* tried) {
  auto note = [&](const std::string& where) {
    if (tried) tried->push_back(where);
  };
  // 1. Our layout.
  const std::string ours = split == Split::kTest ? TestSplitPath(options.data_dir, config.name, lang)
                                                 : ExampleSplitPath(options.data_dir, config.name, lang);
  if (FileExists(ours)) return SplitFiles{{ours}, ours};
  note(ours);
  // A log-likelihood version (sentiment-logprobs) reads its family task's rows.
  if (const std::string base = LogprobRowsTask(config); !base.empty()) {
    const std::string theirs = split == Split::kTest ? TestSplitPath(options.data_dir, base, lang)
                                                     : ExampleSplitPath(options.data_dir, base, lang);
    if (FileExists(theirs)) return SplitFiles{{theirs}, theirs};
    note(theirs);
  }

  // SEA-HELM's filepath: per language, else the task's default.
  std::string filepath;
  if (auto it = config.languages.find(lang); it != config.languages.end())
    filepath = split == Split::kExamples && !it->second.example_filepath.empty() ? it->second.example_filepath
                                                                                 : it->second.filepath;
  if (filepath.empty() && config.raw.is_object() && config.raw.contains("filepath") && config.raw["filepath"].is_string())
    filepath = config.raw["filepath"].get<std::string>();
  if (filepath.empty()) return std::nullopt;
  std::string hub_config = HubConfigName(config.name, lang), split_name = SplitName(split);
  if (config.family == "ifeval_en" && split == Split::kTest) {
    // SEA-HELM's IFEvalDataloader: load_dataset(filepath, split="train"), no config.
    hub_config = "default";
    split_name = "train";
  }
  const std::string what = " (config " + hub_config + ", split " + split_name + ")";

  // 2. A local file or folder: absolute, under DIR, or beside the config tree.
  if (!IsHubId(filepath)) {
    std::vector<fs::path> locals;
    if (fs::path(filepath).is_absolute()) {
      locals.push_back(filepath);
    } else {
      locals.push_back(fs::path(options.data_dir) / filepath);
      for (fs::path p = fs::path(config.source).parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path())
        locals.push_back(p / filepath);
    }
    for (const auto& p : locals) {
      DataFormat format;
      if (IsFile(p) && DataFormatOf(p.string(), &format)) return SplitFiles{{p.string()}, p.string()};
      if (IsDir(p))
        if (auto files = FindSplitFiles(p.string(), hub_config, split_name); !files.empty())
          return SplitFiles{files, p.string() + what};
    }
    note(filepath + " (a local path, under " + options.data_dir + " or beside " + config.source + ")");
    return std::nullopt;
  }
  // 3. Local folders named after the hub id.
  const std::string name = filepath.substr(filepath.find('/') + 1);
  for (const fs::path& p : {fs::path(options.data_dir) / filepath, fs::path(options.data_dir) / name}) {
    if (!IsDir(p)) continue;
    if (auto files = FindSplitFiles(p.string(), hub_config, split_name); !files.empty())
      return SplitFiles{files, p.string() + what};
    note(p.string() + what);
  }
  // 4. Hub caches: the revision asked for (or main), then the parquet conversion.
  std::vector<std::string> caches{options.data_dir};
  for (const auto& c : HubCacheRoots()) caches.push_back(c);
  for (const auto& cache : caches) {
    std::vector<std::string> revisions{options.revision};
    if (options.revision != kParquetRef) revisions.push_back(kParquetRef);  // the hub's parquet conversion
    for (const std::string& rev : revisions) {
      const auto snap = HubSnapshot(cache, filepath, rev);
      if (!snap) continue;
      if (auto files = FindSplitFiles(*snap, hub_config, split_name); !files.empty())
        return SplitFiles{files, "hub cache " + filepath + " " + *snap + what};
      note(*snap + what);
    }
  }
  note(filepath + " in the hub caches " + [&] {
    std::string s;
    for (const auto& c : caches) s += (s.empty() ? "" : ", ") + c;
    return s;
  }() + (options.revision.empty() ? "" : " at revision " + options.revision));
  return std::nullopt;
}

}  // namespace bhasa::tasks
