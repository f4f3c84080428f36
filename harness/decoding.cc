#include "harness/decoding.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/fs.h"

namespace bhasa {

namespace {

constexpr const char* kGenKwargsKeys = "temperature, top_p, top_k, max_tokens, seed";

Error UsageError(const std::string& msg) { return Error(msg, kExitUsage); }

template <typename T>
std::optional<T> ParseNumber(std::string_view text) {
  T out{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::string Show(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

// What each setting is called in the source a message points at.
struct SettingNames {
  const char* temperature;
  const char* top_p;
  const char* top_k;
  const char* max_tokens;
  const char* seed;
};
constexpr SettingNames kFlagNames{"--temperature", "--top-p", "--top-k", "--max-tokens", "--seed"};
constexpr SettingNames kKeyNames{"temperature", "top_p", "top_k", "max_tokens", "seed"};

// Range checks shared by every source; `where` prefixes the message.
void CheckLayer(const DecodingLayer& d, const std::string& where, const SettingNames& names) {
  auto fail = [&](const char* name, const std::string& value, const char* expected) {
    return UsageError(where + name + " = " + value + ": expected " + expected);
  };
  if (d.temperature && !(std::isfinite(*d.temperature) && *d.temperature >= 0))
    throw fail(names.temperature, Show(*d.temperature), "a number >= 0");
  if (d.top_p && !(*d.top_p > 0 && *d.top_p <= 1)) throw fail(names.top_p, Show(*d.top_p), "a number in (0, 1]");
  if (d.top_k && *d.top_k < -1)
    throw fail(names.top_k, std::to_string(*d.top_k), "an integer >= 0 (0 or -1: no cut)");
  if (d.max_tokens && *d.max_tokens < 1)
    throw fail(names.max_tokens, std::to_string(*d.max_tokens), "an integer >= 1");
  if (d.seed && *d.seed < 0) throw fail(names.seed, std::to_string(*d.seed), "an integer >= 0");
}

template <typename T>
void Take(std::optional<T>& dst, const std::optional<T>& src) {
  if (!dst && src) dst = src;
}

}  // namespace

DecodingLayer ParseGenKwargs(std::string_view text) {
  DecodingLayer d;
  std::set<std::string, std::less<>> seen;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = Trim(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      throw UsageError("--gen-kwargs: '" + std::string(item) + "' is not key=value (keys: " + kGenKwargsKeys + ")");
    const std::string key(Trim(item.substr(0, eq)));
    const std::string_view value = Trim(item.substr(eq + 1));
    if (!seen.insert(key).second) throw UsageError("--gen-kwargs: " + key + " is given twice");
    auto bad = [&](const char* expected) {
      return UsageError("--gen-kwargs: " + key + "='" + std::string(value) + "': expected " + expected);
    };
    if (key == "temperature" || key == "top_p") {
      const auto x = ParseNumber<double>(value);
      if (!x) throw bad("a number");
      (key == "temperature" ? d.temperature : d.top_p) = *x;
    } else if (key == "top_k" || key == "max_tokens") {
      const auto x = ParseNumber<int>(value);
      if (!x) throw bad("an integer");
      (key == "top_k" ? d.top_k : d.max_tokens) = *x;
    } else if (key == "seed") {
      const auto x = ParseNumber<long long>(value);
      if (!x) throw bad("an integer");
      d.seed = *x;
    } else {
      throw UsageError("--gen-kwargs: unknown key '" + key + "' (keys: " + kGenKwargsKeys + ")");
    }
  }
  CheckLayer(d, "--gen-kwargs: ", kKeyNames);
  return d;
}

DecodingLayer ReadGenerationConfig(const std::string& model_path) {
  DecodingLayer d;
  std::error_code ec;
  if (model_path.empty() || !std::filesystem::is_directory(model_path, ec)) return d;
  const std::string path = (std::filesystem::path(model_path) / "generation_config.json").string();
  if (!FileExists(path)) return d;
  const nlohmann::json j = nlohmann::json::parse(ReadFile(path), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) throw FileError(path, 0, "not a JSON object");
  auto number = [&](const char* key, auto& dst, bool integer) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (!it->is_number() || (integer && !it->is_number_integer()))
      throw FileError(path, 0, std::string("field ") + key + " must be " + (integer ? "an integer" : "a number"));
    dst = it->template get<typename std::remove_reference_t<decltype(dst)>::value_type>();
  };
  number("temperature", d.temperature, false);
  number("top_p", d.top_p, false);
  number("top_k", d.top_k, true);
  CheckLayer(d, path + ": field ", kKeyNames);
  return d;
}

void ResolveDecoding(RunOptions& o, bool seed_flag_given) {
  DecodingLayer flags{o.temperature, o.top_p, o.top_k, o.max_tokens, std::nullopt};
  CheckLayer(flags, "", kFlagNames);
  const DecodingLayer kwargs = ParseGenKwargs(o.gen_kwargs);
  const DecodingLayer model = ReadGenerationConfig(o.model);

  Take(o.temperature, kwargs.temperature);
  Take(o.top_p, kwargs.top_p);
  Take(o.top_k, kwargs.top_k);
  Take(o.max_tokens, kwargs.max_tokens);  // unset: each task's own max_tokens
  if (!seed_flag_given && kwargs.seed) o.seed = *kwargs.seed;
  if (o.seed < 0) throw UsageError("--seed = " + std::to_string(o.seed) + ": expected an integer >= 0");

  Take(o.temperature, model.temperature);
  Take(o.top_p, model.top_p);
  Take(o.top_k, model.top_k);

  o.temperature = o.temperature.value_or(0.0);
  o.top_p = o.top_p.value_or(1.0);
  o.top_k = std::max(0, o.top_k.value_or(0));  // -1 (vLLM's "off") and 0 mean the same
}

}  // namespace bhasa
