#include "results/provenance.h"

#include <cstdio>
#include <map>

namespace bhasa::results {

namespace {

using Json = nlohmann::json;

// meta.<a>.<b> when every step is an object holding the key, else null.
const Json& MetaField(const RunInput& run, const char* a, const char* b = nullptr) {
  static const Json kNull;
  const Json& meta = run.doc.contains("meta") ? run.doc["meta"] : kNull;
  if (!meta.is_object() || !meta.contains(a)) return kNull;
  const Json& x = meta[a];
  if (!b) return x;
  return x.is_object() && x.contains(b) ? x[b] : kNull;
}

// path → sha256 of meta.data.files.
std::map<std::string, std::string> DataHashes(const RunInput& run) {
  std::map<std::string, std::string> out;
  const Json& files = MetaField(run, "data", "files");
  if (!files.is_array()) return out;
  for (const Json& f : files)
    if (f.is_object() && f.contains("path") && f.contains("sha256") && f["path"].is_string() && f["sha256"].is_string())
      out[f["path"].get<std::string>()] = f["sha256"].get<std::string>();
  return out;
}

std::string Short(const std::string& sha) { return sha.substr(0, 12); }

// meta.decoding.<task>.<lang> without the seed.
Json Decoding(const Json& settings) {
  Json s = settings;
  if (s.is_object()) s.erase("seed");
  return s;
}

void CompareData(const RunInput& ref, const RunInput& run, std::vector<std::string>& out) {
  const auto ref_files = DataHashes(ref), files = DataHashes(run);
  int differing = 0;
  std::string first;
  for (const auto& [path, sha] : files) {
    auto it = ref_files.find(path);
    if (it == ref_files.end() || it->second == sha) continue;
    if (differing++ == 0) first = path + " has sha256 " + Short(it->second) + "… in " + ref.path + " but " + Short(sha) + "… in " + run.path;
  }
  if (differing == 1) out.push_back("the runs read different data: " + first);
  else if (differing > 1)
    out.push_back("the runs read different data: " + first + " (and " + std::to_string(differing - 1) + " more files)");
}

void CompareLimit(const RunInput& ref, const RunInput& run, std::vector<std::string>& out) {
  const Json &a = MetaField(ref, "run", "limit"), &b = MetaField(run, "run", "limit");
  if (!a.is_null() && !b.is_null() && a != b)
    out.push_back("the runs differ in --limit: " + a.dump() + " in " + ref.path + ", " + b.dump() + " in " + run.path);
}

void CompareDecoding(const RunInput& ref, const RunInput& run, std::vector<std::string>& out) {
  const Json &a = MetaField(ref, "decoding"), &b = MetaField(run, "decoding");
  if (!a.is_object() || !b.is_object()) return;
  int differing = 0;
  std::string first;
  for (const auto& [task, langs] : b.items()) {
    if (!a.contains(task) || !langs.is_object() || !a[task].is_object()) continue;
    for (const auto& [lang, settings] : langs.items()) {
      if (!a[task].contains(lang)) continue;
      const Json x = Decoding(a[task][lang]), y = Decoding(settings);
      if (x == y) continue;
      if (differing++ == 0)
        first = task + " (" + lang + "): " + x.dump() + " in " + ref.path + " but " + y.dump() + " in " + run.path;
    }
  }
  if (differing == 1) out.push_back("the runs differ in decoding settings for " + first);
  else if (differing > 1)
    out.push_back("the runs differ in decoding settings for " + first + " (and " + std::to_string(differing - 1) +
                  " more task/language pairs)");
}

}  // namespace

std::vector<std::string> ProvenanceWarnings(const std::vector<const RunInput*>& runs) {
  std::vector<std::string> out;
  const RunInput* ref = nullptr;  // the first run with provenance
  for (const RunInput* run : runs) {
    if (run != runs.front()) CompareLimit(*runs.front(), *run, out);  // meta.run.limit predates provenance
    const bool has_data = MetaField(*run, "data", "files").is_array();
    const bool has_decoding = MetaField(*run, "decoding").is_object();
    if (!has_data && !has_decoding) {
      out.push_back(run->path + ": no provenance recorded (data hashes, decoding settings); cannot check that it "
                    "evaluated the same data the same way as the other runs");
      continue;
    }
    if (!has_data) out.push_back(run->path + ": no data hashes recorded");
    if (!has_decoding) out.push_back(run->path + ": no decoding settings recorded");
    if (MetaField(*run, "data", "bundled_samples") == Json(true))
      out.push_back(run->path + ": scored on the bundled sample data (a few rows per task), not the benchmark sets");
    if (!ref) {
      ref = run;
      continue;
    }
    CompareData(*ref, *run, out);
    CompareDecoding(*ref, *run, out);
  }
  return out;
}

nlohmann::ordered_json ProvenanceOf(const RunInput& run) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (run.doc.contains("bhasa_version")) out["bhasa_version"] = run.doc["bhasa_version"];
  for (const char* key : {"model", "backend", "judge", "run", "data", "decoding", "timing", "tokens"}) {
    const Json& v = MetaField(run, key);
    if (!v.is_null()) out[key] = nlohmann::ordered_json::parse(v.dump());
  }
  return out;
}

void PrintWarnings(const std::string& command, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) std::fprintf(stderr, "%s: warning: %s\n", command.c_str(), w.c_str());
}

}  // namespace bhasa::results
