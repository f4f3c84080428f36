// Flags: each command declares its options once; parsing, --help and the
// echo into the run configuration all come from that one list.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bhasa {

class Flags {
 public:
  Flags(std::string command, std::string usage, std::string description);

  // --name VALUE or --name=VALUE. Defaults are whatever *dst holds.
  Flags& String(const std::string& name, std::string* dst, const std::string& help,
                const std::string& value_name = "VALUE");
  Flags& Int(const std::string& name, int* dst, const std::string& help);
  Flags& Int64(const std::string& name, long long* dst, const std::string& help);
  Flags& Double(const std::string& name, double* dst, const std::string& help);
  // A number that may be left unset (no default shown; stays std::nullopt).
  Flags& OptionalInt(const std::string& name, std::optional<int>* dst, const std::string& help);
  Flags& OptionalDouble(const std::string& name, std::optional<double>* dst, const std::string& help);
  // --name sets true; --no-name sets false.
  Flags& Bool(const std::string& name, bool* dst, const std::string& help);
  // Repeatable; each value may also be a comma-separated list.
  Flags& List(const std::string& name, std::vector<std::string>* dst, const std::string& help,
              const std::string& value_name = "A,B");
  // Positional arguments in declaration order.
  Flags& Positional(const std::string& name, std::string* dst, const std::string& help, bool required = true);
  Flags& Rest(const std::string& name, std::vector<std::string>* dst, const std::string& help, size_t min_count = 0);
  // Short alias, e.g. Alias("-o", "--output").
  Flags& Alias(const std::string& alias, const std::string& name);

  // Returns false when --help was given (help is printed to stdout).
  // Throws Error with kExitUsage for unknown flags, missing values or bad numbers.
  bool Parse(std::span<const std::string> args);
  std::string Help() const;
  // The parsed values as JSON (for the resolved configuration).
  nlohmann::json Values() const;
  bool WasSet(const std::string& name) const;

 private:
  struct Option {
    std::string name, help, value_name;
    enum Kind { kString, kInt, kInt64, kDouble, kOptInt, kOptDouble, kBool, kList } kind;
    void* dst;
    bool set = false;
  };
  struct Pos {
    std::string name, help;
    std::string* one = nullptr;
    std::vector<std::string>* rest = nullptr;
    bool required = true;
    size_t min_count = 0;
  };
  Option* Find(const std::string& name);
  void Assign(Option& o, const std::string& value);

  std::string command_, usage_, description_;
  std::vector<Option> options_;
  std::vector<Pos> positionals_;
  std::vector<std::pair<std::string, std::string>> aliases_;
};

}  // namespace bhasa
