#include "tasks/dataset_card.h"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"
#include "common/fs.h"
#include "tasks/data_files.h"
#include "tasks/yaml_json.h"

namespace bhasa::tasks {
namespace {

namespace fs = std::filesystem;

// The YAML between the leading `---` lines, or "" when there is none.
std::string FrontMatter(const std::string& text) {
  if (text.rfind("---", 0) != 0) return "";
  const size_t start = text.find('\n');
  if (start == std::string::npos) return "";
  const size_t end = text.find("\n---", start);
  return end == std::string::npos ? "" : text.substr(start + 1, end - start);
}

std::vector<std::string> Patterns(const nlohmann::json& v) {
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  if (v.is_array())
    for (const auto& p : v)
      if (p.is_string()) out.push_back(p.get<std::string>());
  return out;
}

// The patterns `data_files` gives `split`, in any of the card's three forms.
std::vector<std::string> SplitPatterns(const nlohmann::json& data_files, const std::string& split) {
  if (data_files.is_string()) return split == "train" ? Patterns(data_files) : std::vector<std::string>{};
  if (data_files.is_object()) return data_files.contains(split) ? Patterns(data_files[split]) : std::vector<std::string>{};
  if (data_files.is_array())
    for (const auto& e : data_files)
      if (e.is_object() && e.value("split", "") == split && e.contains("path")) return Patterns(e["path"]);
  return {};
}

}  // namespace

std::optional<std::vector<std::string>> CardSplitFiles(const std::string& root, const std::string& config,
                                                       const std::string& split) {
  const std::string readme = root + "/README.md";
  if (!FileExists(readme)) return std::nullopt;
  const std::string yaml = FrontMatter(ReadFile(readme));
  if (yaml.empty()) return std::nullopt;
  const nlohmann::json card = ParseYaml(yaml, readme);
  if (!card.is_object() || !card.contains("configs") || !card["configs"].is_array()) return std::nullopt;
  for (const auto& c : card["configs"]) {
    if (!c.is_object() || c.value("config_name", "") != config || !c.contains("data_files")) continue;
    const auto patterns = SplitPatterns(c["data_files"], split);
    if (patterns.empty()) return std::nullopt;
    std::vector<std::string> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->path().filename() == ".git") it.disable_recursion_pending();
      DataFormat format;
      if (!it->is_regular_file() || !DataFormatOf(it->path().string(), &format)) continue;
      const std::string rel = fs::relative(it->path(), root).string();
      for (const auto& p : patterns)
        if (fnmatch(p.c_str(), rel.c_str(), 0) == 0) {
          files.push_back(it->path().string());
          break;
        }
    }
    std::sort(files.begin(), files.end());
    return files;
  }
  return std::nullopt;
}

}  // namespace bhasa::tasks
