#include "tasks/task_config.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/error.h"
#include "common/json_field.h"
#include "tasks/yaml_json.h"

namespace bhasa::tasks {

namespace fs = std::filesystem;

namespace {

// Splits "a.b-c.d" into path segments; task names contain '-', so only '.' splits.
std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '.') {
      out.push_back(path.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

void Resolve(nlohmann::json& node, nlohmann::json& root, std::set<std::string>& active, const std::string& where);
nlohmann::json ResolvedCopy(nlohmann::json& root, const std::string& path, std::set<std::string>& active);

bool IsWholeReference(const nlohmann::json& node) {
  if (!node.is_string()) return false;
  const auto& s = node.get_ref<const std::string&>();
  return s.rfind("${", 0) == 0 && s.find('}') == s.size() - 1;
}

// Walks `path` from the root; a node on the way that is itself a whole
// reference (e.g. `languages: ${causal.languages}`) is followed, as OmegaConf does.
bool Lookup(nlohmann::json& root, const std::string& path, std::set<std::string>& active, nlohmann::json& out) {
  const nlohmann::json* node = &root;
  nlohmann::json followed;  // owns the value of a reference met on the way
  for (const auto& seg : SplitPath(path)) {
    if (IsWholeReference(*node)) {
      const auto& s = node->get_ref<const std::string&>();
      nlohmann::json v = ResolvedCopy(root, s.substr(2, s.size() - 3), active);
      followed = std::move(v);
      node = &followed;
    }
    if (!node->is_object() || !node->contains(seg)) return false;
    node = &(*node)[seg];
  }
  out = *node;
  return true;
}

nlohmann::json ResolvedCopy(nlohmann::json& root, const std::string& path, std::set<std::string>& active) {
  if (active.count(path)) throw Error("config interpolation cycle through ${" + path + "}");
  active.insert(path);
  nlohmann::json copy;
  if (!Lookup(root, path, active, copy)) {
    active.erase(path);
    throw Error("config interpolation ${" + path + "}: no such key");
  }
  Resolve(copy, root, active, path);
  active.erase(path);
  return copy;
}

void Resolve(nlohmann::json& node, nlohmann::json& root, std::set<std::string>& active, const std::string& where) {
  if (node.is_object()) {
    for (auto& [k, v] : node.items()) Resolve(v, root, active, where + "." + k);
  } else if (node.is_array()) {
    for (auto& v : node) Resolve(v, root, active, where);
  } else if (node.is_string()) {
    const std::string s = node.get<std::string>();
    if (s.find("${") == std::string::npos) return;
    // A string that is exactly one reference takes the referenced value's type.
    if (s.rfind("${", 0) == 0 && s.find('}') == s.size() - 1) {
      node = ResolvedCopy(root, s.substr(2, s.size() - 3), active);
      return;
    }
    std::string out;
    size_t i = 0;
    while (i < s.size()) {
      size_t open = s.find("${", i);
      if (open == std::string::npos) { out += s.substr(i); break; }
      size_t close = s.find('}', open);
      if (close == std::string::npos) throw Error("config " + where + ": unterminated ${ in '" + s + "'");
      out += s.substr(i, open - i);
      nlohmann::json v = ResolvedCopy(root, s.substr(open + 2, close - open - 2), active);
      out += v.is_string() ? v.get<std::string>() : v.dump();
      i = close + 1;
    }
    node = out;
  }
}

std::string AsString(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "";
  if (j.is_number_float()) {
    std::string s = j.dump();
    return s;
  }
  return j.dump();
}

// SEA-HELM has two IFEval tasks with the same metric class: Google's English
// one lives under english_evals/ (task key `ifeval`).
bool IsEnglishIfeval(const std::string& key, const nlohmann::json& node, const std::string& where) {
  return key == "ifeval" || FieldOr(node, "metric_file", "", where).find("english_evals") != std::string::npos;
}

// An integer key that may be absent or null (SEA-HELM writes `base:` with no
// value for tasks without shots).
int IntOr(const nlohmann::json& node, const char* key, int def, const std::string& where) {
  if (!node.is_object() || !node.contains(key) || node[key].is_null()) return def;
  if (!node[key].is_number_integer()) throw Error(where + "." + key + ": expected an integer");
  return node[key].get<int>();
}

// The plugin family of a task: our YAML names it; for SEA-HELM configs it is
// inferred from the metric class and the task key.
std::string InferFamily(const std::string& key, const nlohmann::json& node, const std::string& where) {
  std::string mc = FieldOr(node, "metric_class", "", where);
  if (mc == "IFEvalMetric" || key == "if-eval" || key == "ifeval")
    return IsEnglishIfeval(key, node, where) ? "ifeval_en" : "ifeval";
  if (mc == "PairwiseLLMJudgeMetric") return "mtbench";
  if (mc == "MTBenchJudgeMetric") return "mtbench_judge";
  if (mc == "QuestionAnsweringMetric") return "qa";
  if (mc == "TranslationMetric") return "translation";
  if (mc == "SummarizationMetric") return "summarization";
  // A log-likelihood task (use_logprobs) keeps the family its rows and prompts belong to.
  for (const char* f : {"sentiment", "toxicity", "causal", "nli"})
    if (key.rfind(f, 0) == 0) return f;
  if (mc == "F1AccMetric" || mc == "LogProbMetric") return "multiple_choice";
  return "";
}

TaskConfig ParseTask(const std::string& key, const nlohmann::json& node, const std::string& source) {
  auto where = [&](const std::string& k) { return source + ": task '" + key + "'" + (k.empty() ? "" : ", key '" + k + "'"); };
  if (!node.is_object()) throw Error(where("") + ": expected a mapping");
  TaskConfig t;
  t.name = key;
  t.source = source;
  t.raw = node;
  const std::string in_task = where("");
  t.family = FieldOr(node, "family", InferFamily(key, node, in_task), in_task);
  std::string metric_class = FieldOr(node, "metric_class", "", in_task);
  std::string default_scorer = ScorerForMetricClass(metric_class);
  if (metric_class == "IFEvalMetric" && IsEnglishIfeval(key, node, in_task)) default_scorer = "ifeval_en";
  t.scorer = FieldOr(node, "scorer", default_scorer, in_task);
  t.metric = FieldOr(node, "metric", "", in_task);
  // MetricX-24 needs a 13B judge model; SEA-HELM translation configs are scored
  // with chrF++ (scorer "translation") here, and the task says so.
  if (!node.contains("scorer") && metric_class == "TranslationMetric" &&
      t.metric.find("metricx") != std::string::npos) {
    t.metric_substituted_from = t.metric;
    t.metric = "normalized_chrf_score";
  }
  t.use_logprobs = FieldOr(node, "use_logprobs", false, in_task);
  t.max_n_runs = IntOr(node, "max_n_runs", 0, in_task);
  if (t.max_n_runs < 0) throw Error(where("max_n_runs") + ": must be at least 0");
  t.competency = FieldOr(node, "competency", "", in_task);
  t.aggregation_group = AsString(node.value("aggregation_group", nlohmann::json()));
  t.aggregation_type = FieldOr(node, "aggregation_type", "macro-average", in_task);
  if (node.contains("metadata") && node["metadata"].is_object())
    t.version = AsString(node["metadata"].value("version", nlohmann::json()));
  if (node.contains("fewshot_num_examples")) {
    const auto& f = node["fewshot_num_examples"];
    t.fewshot_instruct = IntOr(f, "instruct", 0, where("fewshot_num_examples"));
    t.fewshot_base = IntOr(f, "base", 5, where("fewshot_num_examples"));
  }
  if (!node.contains("languages") || !node["languages"].is_object())
    throw Error(where("languages") + ": missing or not a mapping");
  for (const auto& [lang, lnode] : node["languages"].items()) {
    if (!lnode.is_object()) throw Error(where("languages." + lang) + ": expected a mapping");
    LanguageConfig l;
    l.lang = lang;
    l.raw = lnode;
    l.filepath = AsString(lnode.value("filepath", nlohmann::json()));
    l.example_filepath = AsString(lnode.value("example_filepath", nlohmann::json()));
    l.max_tokens = IntOr(lnode, "max_tokens", 256, where("languages." + lang));
    if (lnode.contains("prompt_template")) {
      const auto& p = lnode["prompt_template"];
      if (!p.is_object()) throw Error(where("languages." + lang + ".prompt_template") + ": expected a mapping");
      l.prompt.preamble = AsString(p.value("preamble", nlohmann::json("")));
      l.prompt.task_template = AsString(p.value("task_template", nlohmann::json("")));
      l.prompt.answer_template = AsString(p.value("answer_template", nlohmann::json("{answer_tag} {label}")));
      l.prompt.answer_tag = AsString(p.value("answer_tag", nlohmann::json("")));
    }
    t.languages.emplace(lang, std::move(l));
  }
  return t;
}

void MergeInto(nlohmann::json& root, const nlohmann::json& doc, const std::string& file,
               std::map<std::string, std::string>& origin) {
  if (doc.is_null()) return;
  if (!doc.is_object()) throw Error(file + ": expected a mapping of task names at the top level");
  for (const auto& [k, v] : doc.items()) {
    if (origin.count(k) && origin[k] != file)
      throw Error(file + ": task '" + k + "' is already defined in " + origin[k]);
    origin[k] = file;
    root[k] = v;
  }
}

}  // namespace

std::string ScorerForMetricClass(const std::string& mc) {
  if (mc == "F1AccMetric") return "classification";
  if (mc == "QuestionAnsweringMetric") return "qa";
  if (mc == "TranslationMetric") return "translation";
  if (mc == "SummarizationMetric") return "rouge_l";
  if (mc == "IFEvalMetric") return "ifeval";
  if (mc == "PairwiseLLMJudgeMetric") return "mtbench";
  if (mc == "MTBenchJudgeMetric") return "mtbench_judge";
  if (mc == "LogProbMetric") return "logprobs";
  return "";
}

void ResolveInterpolations(nlohmann::json& root) {
  std::set<std::string> active;
  Resolve(root, root, active, "");
}

std::vector<std::string> TaskCatalog::GroupMembers(const std::string& group) const {
  std::vector<std::string> out;
  for (const auto& [name, t] : tasks)
    if (t.aggregation_group == group) out.push_back(name);
  return out;
}

const TaskConfig& TaskCatalog::Get(const std::string& task) const {
  auto it = tasks.find(task);
  if (it != tasks.end()) return it->second;
  std::string valid;
  for (const auto& [k, v] : tasks) valid += (valid.empty() ? "" : ", ") + k;
  throw Error("unknown task '" + task + "' (valid: " + valid + ")");
}

TaskCatalog LoadCatalog(const std::string& dir) {
  if (!fs::is_directory(dir)) throw Error(dir + ": task directory not found");
  TaskCatalog cat;
  nlohmann::json root = nlohmann::json::object();
  std::map<std::string, std::string> origin;

  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const auto& p = e.path();
    bool top_level = p.parent_path() == fs::path(dir) || fs::equivalent(p.parent_path(), dir);
    std::string fname = p.filename().string();
    if (fname == "config.yaml") files.push_back(p);
    else if (top_level && (p.extension() == ".yaml" || p.extension() == ".yml") && fname != "task_config.yaml" &&
             fname != "constants.yaml" && fname.rfind("reasoning_", 0) != 0 && fname.rfind("suites", 0) != 0)
      files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) MergeInto(root, LoadYamlFile(f.string()), f.string(), origin);
  ResolveInterpolations(root);
  for (const auto& [k, v] : root.items()) cat.tasks.emplace(k, ParseTask(k, v, origin[k]));

  for (const char* suites_name : {"task_config.yaml", "suites.yaml"}) {
    fs::path p = fs::path(dir) / suites_name;
    if (!fs::exists(p)) continue;
    nlohmann::json s = LoadYamlFile(p.string());
    if (!s.is_object()) throw Error(p.string() + ": expected a mapping of task sets");
    for (const auto& [set, langs] : s.items()) {
      if (!langs.is_object()) throw Error(p.string() + ": task set '" + set + "' must map languages to task lists");
      for (const auto& [lang, list] : langs.items()) {
        if (!list.is_array()) throw Error(p.string() + ": task set '" + set + "." + lang + "' must be a list");
        for (const auto& t : list) cat.suites[set][lang].push_back(AsString(t));
      }
    }
  }
  if (fs::path c = fs::path(dir) / "constants.yaml"; fs::exists(c)) cat.constants = LoadYamlFile(c.string());
  return cat;
}

}  // namespace bhasa::tasks
