#include "tasks/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <regex>

#include "common/error.h"
#include "common/fs.h"
#include "common/pystr.h"

namespace bhasa::tasks {

namespace {

nlohmann::json Scalar(const YAML::Node& n, const std::string& source) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted: always a string
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, kInt)) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data() + (s[0] == '+'), s.data() + s.size(), v);
    if (ec == std::errc()) return v;
  }
  if (std::regex_match(s, kFloat)) {
    double v = 0;
    auto [p, ec] = std::from_chars(s.data() + (s[0] == '+'), s.data() + s.size(), v);
    // Beyond double (1e999, 1e-999): PyYAML reads inf or 0, which would silently differ.
    if (ec != std::errc() || !std::isfinite(v))
      throw FileError(source, n.Mark().line + 1, "number out of range: " + s.substr(0, 40));
    return v;
  }
  return s;
}

// YAML text is Unicode; a string that is not valid UTF-8 (a stray byte, an
// escaped lone surrogate) would break every later use of it as JSON.
const std::string& CheckedText(const YAML::Node& n, const std::string& source) {
  const std::string& s = n.Scalar();
  if (size_t bad = py::FindInvalidUtf8(s); bad != std::string::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(s[bad]));
    throw FileError(source, n.Mark().line >= 0 ? n.Mark().line + 1 : 0,
                    std::string("invalid UTF-8 (byte ") + byte + ") in '" + py::Encode(py::Decode(s)) + "'");
  }
  return s;
}

// Bounds on the JSON a YAML text may expand to. An alias inside its own
// anchor makes a cycle (yaml-cpp follows it for ever), and aliases of aliases
// grow exponentially; task files are a few levels deep and a few thousand
// values large.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxValues = 1'000'000;

class Converter {
 public:
  explicit Converter(const std::string& source) : source_(source) {}

  nlohmann::json Convert(const YAML::Node& n, int depth = 0) {
    int line = n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
    if (depth > kMaxDepth)
      throw FileError(source_, line, "nested more than " + std::to_string(kMaxDepth) +
                                         " levels deep (an alias inside its own anchor?)");
    if (++values_ > kMaxValues)
      throw FileError(source_, line, "more than " + std::to_string(kMaxValues) + " values once aliases are expanded");
    switch (n.Type()) {
      case YAML::NodeType::Null: return nullptr;
      case YAML::NodeType::Scalar: CheckedText(n, source_); return Scalar(n, source_);
      case YAML::NodeType::Sequence: {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& c : n) a.push_back(Convert(c, depth + 1));
        return a;
      }
      case YAML::NodeType::Map: {
        nlohmann::json o = nlohmann::json::object();
        for (const auto& kv : n) {
          if (!kv.first.IsScalar())
            throw FileError(source_, kv.first.Mark().line + 1, "a mapping key must be a plain value");
          o[CheckedText(kv.first, source_)] = Convert(kv.second, depth + 1);
        }
        return o;
      }
      default: return nullptr;
    }
  }

 private:
  const std::string& source_;
  size_t values_ = 0;
};

}  // namespace

nlohmann::json ParseYaml(const std::string& text, const std::string& source_name) {
  try {
    return Converter(source_name).Convert(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    throw FileError(source_name, e.mark.line >= 0 ? e.mark.line + 1 : 0, "invalid YAML: " + e.msg);
  }
}

nlohmann::json LoadYamlFile(const std::string& path) { return ParseYaml(ReadFile(path), path); }

}  // namespace bhasa::tasks
