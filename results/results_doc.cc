#include "results/results_doc.h"

#include <chrono>
#include <ctime>
#include <filesystem>

#include "common/error.h"
#include "common/fs.h"
#include "common/json_field.h"

namespace bhasa::results {

namespace {

std::string NowIso() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// The fields the readers (export, compare, report, aggregation) take as
// strings or integers; a value of another type is named here, at load.
void CheckFieldTypes(const nlohmann::json& doc, const std::string& path) {
  for (const auto& [name, t] : doc["tasks"].items()) {
    const std::string where = path + ": field 'tasks." + name;
    if (!t.is_object()) throw Error(where + "' must be an object");
    for (const char* key : {"metric", "scorer", "competency", "aggregation_group", "family", "name", "lang"})
      if (auto v = t.find(key); v != t.end() && !v->is_string())
        throw Error(where + "." + key + "' must be a string");
  }
  const nlohmann::json& meta = doc["meta"];
  for (const char* key : {"model", "run"})
    if (const nlohmann::json* v = FindField(meta, key); v && !v->is_object())
      throw Error(path + ": field 'meta." + key + "' must be an object");
  // The readers take null here as absent.
  const nlohmann::json* model = FindField(meta, "model");
  if (const nlohmann::json* name = model ? FindField(*model, "name") : nullptr; name && !name->is_string())
    throw Error(path + ": field 'meta.model.name' must be a string");
  const nlohmann::json* run = FindField(meta, "run");
  if (const nlohmann::json* n = run ? FindField(*run, "run_number") : nullptr; n && !n->is_number_integer())
    throw Error(path + ": field 'meta.run.run_number' must be an integer");
}

}  // namespace

nlohmann::json MakeResultsDoc(const nlohmann::json& meta, const nlohmann::json& tasks, const nlohmann::json& results,
                              int failed_rows, int failed_tasks) {
  return {{"schema_version", kResultsSchemaVersion},
          {"bhasa_version", BHASA_VERSION},
          {"created_at", NowIso()},
          {"meta", meta},
          {"tasks", tasks},
          {"results", results},
          {"summary",
           {{"total", results.value("total", 0.0)},
            {"failed_rows", failed_rows},
            {"failed_tasks", failed_tasks}}}};
}

nlohmann::json LoadResultsDoc(const std::string& path_or_dir) {
  std::string path = path_or_dir;
  if (std::filesystem::is_directory(path)) path += "/results.json";
  auto doc = nlohmann::json::parse(ReadFile(path), nullptr, false);
  if (doc.is_discarded()) throw Error(path + ": malformed JSON");
  if (!doc.is_object() || !doc.contains("schema_version"))
    throw Error(path + ": not a bhasa results.json (no schema_version)");
  if (!doc["schema_version"].is_number_integer() || doc["schema_version"].get<int>() != kResultsSchemaVersion)
    throw Error(path + ": results schema version " + doc["schema_version"].dump() + " is not supported (expected " +
                std::to_string(kResultsSchemaVersion) + ")");
  for (const char* k : {"meta", "tasks", "results"})
    if (!doc.contains(k) || !doc[k].is_object()) throw Error(path + ": missing object '" + k + "'");
  CheckFieldTypes(doc, path);
  return doc;
}

std::vector<ScoreEntry> FlattenResults(const nlohmann::json& doc) {
  std::vector<ScoreEntry> out;
  if (!doc.contains("results") || !doc["results"].is_object()) return out;
  const auto& res = doc["results"];
  const nlohmann::json tasks = doc.value("tasks", nlohmann::json::object());
  for (const auto& [lang, lj] : res.items()) {
    if (!lj.is_object()) continue;
    for (const auto& [comp, cj] : lj.items()) {
      if (!cj.is_object()) continue;
      for (const auto& [name, v] : cj.items()) {
        if (name == "total") continue;
        if (v.is_object()) {
          std::string metric = tasks.contains(name) && tasks[name].is_object() ? tasks[name].value("metric", "") : "";
          double score = v.contains(metric) && v[metric].is_number() ? v[metric].get<double>() : 0.0;
          out.push_back({"task", lang, comp, name, score, v.contains("error")});
        } else if (v.is_number()) {
          out.push_back({"group", lang, comp, name, v.get<double>(), false});
        }
      }
      if (cj.contains("total") && cj["total"].is_number())
        out.push_back({"competency", lang, comp, "", cj["total"].get<double>(), false});
    }
    if (lj.contains("total") && lj["total"].is_number())
      out.push_back({"language", lang, "", "", lj["total"].get<double>(), false});
  }
  if (res.contains("total") && res["total"].is_number()) out.push_back({"total", "", "", "", res["total"].get<double>(), false});
  return out;
}

}  // namespace bhasa::results
