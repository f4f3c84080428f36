#include "metrics/ifeval_registry.h"

#include <algorithm>

#include "common/error.h"
#include "metrics/ifeval_pytext.h"

namespace bhasa::metrics {

Registry<IfevalCheckSpec>& IfevalChecks(IfevalFamily family) {
  static Registry<IfevalCheckSpec> sea("SEA-IFEval instruction");
  static Registry<IfevalCheckSpec> en("English IFEval instruction");
  return family == IfevalFamily::kSea ? sea : en;
}

bool RunIfevalCheck(IfevalFamily family, const std::string& id, const IfevalCheckInput& in) {
  if (in.kwargs.is_null()) {
    static const nlohmann::json kEmpty = nlohmann::json::object();
    IfevalCheckInput copy = {in.response, in.lang, kEmpty, in.detector, in.item_id};
    return RunIfevalCheck(family, id, copy);
  }
  return RunCheckedIfevalCheck(CheckedIfevalSpec(family, id, in.kwargs), id, in);
}

const IfevalCheckSpec& CheckedIfevalSpec(IfevalFamily family, const std::string& id, const nlohmann::json& kwargs) {
  const IfevalCheckSpec& spec = IfevalChecks(family).Get(id);
  if (!kwargs.is_object()) throw Error("instruction " + id + ": kwargs must be an object");
  for (auto it = kwargs.begin(); it != kwargs.end(); ++it) {  // items() would make a string per element
    const std::string& key = it.key();
    const bool known = std::find(spec.required.begin(), spec.required.end(), key) != spec.required.end() ||
                       std::find(spec.optional.begin(), spec.optional.end(), key) != spec.optional.end();
    if (!known) throw Error("instruction " + id + ": unexpected kwarg '" + key + "'");
  }
  for (const auto& key : spec.required)
    if (!kwargs.contains(key)) throw Error("instruction " + id + ": missing kwarg '" + key + "'");
  return spec;
}

bool RunCheckedIfevalCheck(const IfevalCheckSpec& spec, const std::string& id, const IfevalCheckInput& in) {
  try {
    return spec.fn(in);
  } catch (const Error& e) {
    throw Error("instruction " + id + ": " + e.what());
  }
}

bool SeaCompare(long long actual, const nlohmann::json& relation, long long target) {
  const std::string r = relation.is_string() ? relation.get<std::string>() : relation.dump();
  if (r == "exactly") return actual == target;
  if (r == "at least") return actual >= target;
  if (r == "less than") return actual < target;
  throw Error(r + " is not a valid comparison relation");
}

bool EnCompare(long long actual, const std::string& relation, long long target) {
  if (relation == "less than") return actual < target;
  if (relation == "at least") return actual >= target;
  throw Error("the supported relations are 'less than' and 'at least', not '" + relation + "'");
}

std::string KwString(const nlohmann::json& kwargs, const std::string& key) {
  const auto& v = kwargs.at(key);
  if (!v.is_string()) throw Error("kwarg '" + key + "' must be a string, got " + v.dump());
  return v.get<std::string>();
}

long long KwInt(const nlohmann::json& kwargs, const std::string& key) { return PyInt(kwargs.at(key), key); }

std::vector<std::string_view> KwStringViews(const nlohmann::json& kwargs, const std::string& key) {
  const auto& v = kwargs.at(key);
  if (!v.is_array()) throw Error("kwarg '" + key + "' must be a list of strings, got " + v.dump());
  std::vector<std::string_view> out;
  out.reserve(v.size());
  for (const auto& x : v) {
    if (!x.is_string()) throw Error("kwarg '" + key + "' must be a list of strings, got " + v.dump());
    out.push_back(x.get_ref<const std::string&>());
  }
  return out;
}

std::vector<std::string> KwStringList(const nlohmann::json& kwargs, const std::string& key) {
  const auto views = KwStringViews(kwargs, key);
  return {views.begin(), views.end()};
}

}  // namespace bhasa::metrics
