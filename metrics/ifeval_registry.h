// The IFEval instruction checkers, by instruction id, for the two families:
// SEA-IFEval (SEA-HELM `if-eval`, 21 ids, spec A.3) and English IFEval
// (Google's, SEA-HELM `ifeval`, 25 ids, spec A.9.1).
//
// A checker is a pure function of the response, the task language and the
// instruction's kwargs (nulls already removed). Each spec lists the kwargs the
// checker accepts; RunIfevalCheck rejects unknown ones and missing required
// ones with a bhasa::Error naming them (SEA-HELM raises TypeError there and the
// whole task scores 0). Registration happens from static initializers in
// ifeval_sea_*.cc / ifeval_en_*.cc; lookups are read-only and thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/registry.h"

namespace bhasa::metrics {

class LanguageDetector;
class PyRegex;

// Scratch for one instruction that a checker may fill on its first text and
// reuse on the next ones (English IFEval's loose variants): the kwargs' words
// and the patterns built from them so far, in the order they are tried.
struct IfevalCheckMemo {
  bool filled = false;
  std::vector<std::string_view> words;  // views of the kwargs' strings
  std::vector<const PyRegex*> patterns;  // patterns[k] is words[k]'s, once reached
};

struct IfevalCheckInput {
  std::string_view response;
  std::string_view lang;                       // the task language ("en" for English IFEval)
  const nlohmann::json& kwargs;                // an object; null values removed
  const LanguageDetector* detector = nullptr;  // for the language checks
  std::string_view item_id;                    // seeds English IFEval's random-letter fallback
  bool valid_utf8 = false;                     // the caller has checked that response is valid UTF-8
  IfevalCheckMemo* memo = nullptr;             // this instruction's scratch, when it runs on several texts
};

using IfevalCheckFn = std::function<bool(const IfevalCheckInput&)>;

struct IfevalCheckSpec {
  std::vector<std::string> required;  // kwargs that must be present
  std::vector<std::string> optional;  // kwargs that may be present
  IfevalCheckFn fn;
};

enum class IfevalFamily { kSea, kEnglish };

Registry<IfevalCheckSpec>& IfevalChecks(IfevalFamily family);

struct RegisterIfevalCheck {
  RegisterIfevalCheck(IfevalFamily family, const std::string& id, IfevalCheckSpec spec) {
    IfevalChecks(family).Add(id, std::move(spec));
  }
};

// Validates the kwargs against the spec, then runs the checker. Throws
// bhasa::Error for an unknown id, a bad kwarg or a malformed value, naming them.
bool RunIfevalCheck(IfevalFamily family, const std::string& id, const IfevalCheckInput& in);
// RunIfevalCheck in two steps, for a caller that runs one instruction on
// several texts (English IFEval's loose variants): the spec after checking
// the kwargs (an object), then the checker alone.
const IfevalCheckSpec& CheckedIfevalSpec(IfevalFamily family, const std::string& id, const nlohmann::json& kwargs);
bool RunCheckedIfevalCheck(const IfevalCheckSpec& spec, const std::string& id, const IfevalCheckInput& in);

// SEA-IFEval comparison ("exactly", "at least", "less than"); throws on others.
bool SeaCompare(long long actual, const nlohmann::json& relation, long long target);
// English IFEval comparison ("less than", "at least"); throws on others.
bool EnCompare(long long actual, const std::string& relation, long long target);

// Kwarg accessors that name the kwarg in their errors.
std::string KwString(const nlohmann::json& kwargs, const std::string& key);
long long KwInt(const nlohmann::json& kwargs, const std::string& key);
std::vector<std::string> KwStringList(const nlohmann::json& kwargs, const std::string& key);
// KwStringList as views of the kwargs' strings (which must outlive them).
std::vector<std::string_view> KwStringViews(const nlohmann::json& kwargs, const std::string& key);

}  // namespace bhasa::metrics
