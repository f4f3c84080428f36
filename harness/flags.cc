#include "harness/flags.h"

#include <charconv>
#include <cstdio>
#include <sstream>

#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa {

namespace {

Error UsageError(const std::string& command, const std::string& msg) {
  return Error("bhasa " + command + ": " + msg + " (see 'bhasa " + command + " --help')", kExitUsage);
}

template <typename T>
T ParseNumber(const std::string& command, const std::string& flag, const std::string& v) {
  T out{};
  if constexpr (std::is_floating_point_v<T>) {
    try {
      size_t used = 0;
      out = static_cast<T>(std::stod(v, &used));
      if (used == v.size()) return out;
    } catch (...) {
    }
  } else {
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec == std::errc() && p == v.data() + v.size()) return out;
  }
  throw UsageError(command, "--" + flag + " expects a number, got '" + v + "'");
}

}  // namespace

Flags::Flags(std::string command, std::string usage, std::string description)
    : command_(std::move(command)), usage_(std::move(usage)), description_(std::move(description)) {}

Flags& Flags::String(const std::string& name, std::string* dst, const std::string& help, const std::string& vn) {
  options_.push_back({name, help, vn, Option::kString, dst});
  return *this;
}
Flags& Flags::Int(const std::string& name, int* dst, const std::string& help) {
  options_.push_back({name, help, "N", Option::kInt, dst});
  return *this;
}
Flags& Flags::Int64(const std::string& name, long long* dst, const std::string& help) {
  options_.push_back({name, help, "N", Option::kInt64, dst});
  return *this;
}
Flags& Flags::Double(const std::string& name, double* dst, const std::string& help) {
  options_.push_back({name, help, "X", Option::kDouble, dst});
  return *this;
}
Flags& Flags::OptionalInt(const std::string& name, std::optional<int>* dst, const std::string& help) {
  options_.push_back({name, help, "N", Option::kOptInt, dst});
  return *this;
}
Flags& Flags::OptionalDouble(const std::string& name, std::optional<double>* dst, const std::string& help) {
  options_.push_back({name, help, "X", Option::kOptDouble, dst});
  return *this;
}
Flags& Flags::Bool(const std::string& name, bool* dst, const std::string& help) {
  options_.push_back({name, help, "", Option::kBool, dst});
  return *this;
}
Flags& Flags::List(const std::string& name, std::vector<std::string>* dst, const std::string& help,
                   const std::string& vn) {
  options_.push_back({name, help, vn, Option::kList, dst});
  return *this;
}
Flags& Flags::Positional(const std::string& name, std::string* dst, const std::string& help, bool required) {
  positionals_.push_back({name, help, dst, nullptr, required, 0});
  return *this;
}
Flags& Flags::Rest(const std::string& name, std::vector<std::string>* dst, const std::string& help,
                   size_t min_count) {
  positionals_.push_back({name, help, nullptr, dst, min_count > 0, min_count});
  return *this;
}
Flags& Flags::Alias(const std::string& alias, const std::string& name) {
  aliases_.emplace_back(alias, name);
  return *this;
}

Flags::Option* Flags::Find(const std::string& name) {
  for (auto& o : options_)
    if (o.name == name) return &o;
  return nullptr;
}

void Flags::Assign(Option& o, const std::string& v) {
  o.set = true;
  switch (o.kind) {
    case Option::kString: *static_cast<std::string*>(o.dst) = v; break;
    case Option::kInt: *static_cast<int*>(o.dst) = ParseNumber<int>(command_, o.name, v); break;
    case Option::kInt64: *static_cast<long long*>(o.dst) = ParseNumber<long long>(command_, o.name, v); break;
    case Option::kDouble: *static_cast<double*>(o.dst) = ParseNumber<double>(command_, o.name, v); break;
    case Option::kOptInt: *static_cast<std::optional<int>*>(o.dst) = ParseNumber<int>(command_, o.name, v); break;
    case Option::kOptDouble:
      *static_cast<std::optional<double>*>(o.dst) = ParseNumber<double>(command_, o.name, v);
      break;
    case Option::kBool: break;
    case Option::kList: {
      auto* list = static_cast<std::vector<std::string>*>(o.dst);
      std::stringstream ss(v);
      std::string item;
      while (std::getline(ss, item, ','))
        if (!item.empty()) list->push_back(item);
      break;
    }
  }
}

bool Flags::Parse(std::span<const std::string> args) {
  size_t next_pos = 0;
  bool only_positionals = false;
  std::vector<bool> list_reset(options_.size(), false);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    for (const auto& [alias, name] : aliases_)
      if (a == alias) a = name;
    if (!only_positionals && (a == "--help" || a == "-h")) {
      std::fputs(Help().c_str(), stdout);
      return false;
    }
    if (!only_positionals && a == "--") {
      only_positionals = true;
      continue;
    }
    if (!only_positionals && a.size() > 1 && a[0] == '-' && !(a.size() > 1 && (isdigit(a[1]) || a[1] == '.'))) {
      std::string name = a.substr(a[1] == '-' ? 2 : 1), value;
      bool has_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      Option* o = Find(name);
      if (!o && name.rfind("no-", 0) == 0) {
        Option* b = Find(name.substr(3));
        if (b && b->kind == Option::kBool) {
          *static_cast<bool*>(b->dst) = false;
          b->set = true;
          continue;
        }
      }
      if (!o) throw UsageError(command_, "unknown option '" + a + "'");
      if (o->kind == Option::kBool) {
        bool v = true;
        if (has_value) {
          if (value == "true" || value == "1") v = true;
          else if (value == "false" || value == "0") v = false;
          else throw UsageError(command_, "--" + name + " takes no value or true/false");
        }
        *static_cast<bool*>(o->dst) = v;
        o->set = true;
        continue;
      }
      if (!has_value) {
        if (i + 1 >= args.size()) throw UsageError(command_, "--" + name + " needs a value");
        value = args[++i];
      }
      size_t idx = o - options_.data();
      if (o->kind == Option::kList && !list_reset[idx]) {
        static_cast<std::vector<std::string>*>(o->dst)->clear();  // a given list replaces the default
        list_reset[idx] = true;
      }
      Assign(*o, value);
      continue;
    }
    if (next_pos >= positionals_.size()) throw UsageError(command_, "unexpected argument '" + a + "'");
    Pos& p = positionals_[next_pos];
    if (p.one) {
      *p.one = a;
      ++next_pos;
    } else {
      p.rest->push_back(a);
    }
  }
  for (size_t k = 0; k < positionals_.size(); ++k) {
    const Pos& p = positionals_[k];
    if (p.one && p.required && k >= next_pos) throw UsageError(command_, "missing " + p.name);
    if (p.rest && p.rest->size() < p.min_count) throw UsageError(command_, "missing " + p.name);
  }
  return true;
}

std::string Flags::Help() const {
  std::string out = "usage: bhasa " + command_ + (usage_.empty() ? "" : " " + usage_) + "\n\n" + description_ + "\n";
  if (!positionals_.empty()) {
    out += "\narguments:\n";
    for (const auto& p : positionals_) {
      char line[512];
      std::snprintf(line, sizeof line, "  %-28s %s\n", p.name.c_str(), p.help.c_str());
      out += line;
    }
  }
  out += "\noptions:\n";
  for (const auto& o : options_) {
    std::string left = "--" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
    std::string def;
    switch (o.kind) {
      case Option::kString: {
        auto& s = *static_cast<std::string*>(o.dst);
        if (!s.empty()) def = s;
        break;
      }
      case Option::kInt: def = std::to_string(*static_cast<int*>(o.dst)); break;
      case Option::kInt64: def = std::to_string(*static_cast<long long*>(o.dst)); break;
      case Option::kDouble: {
        std::ostringstream ss;
        ss << *static_cast<double*>(o.dst);
        def = ss.str();
        break;
      }
      case Option::kOptInt: {
        const auto& v = *static_cast<std::optional<int>*>(o.dst);
        if (v) def = std::to_string(*v);
        break;
      }
      case Option::kOptDouble: {
        if (const auto& v = *static_cast<std::optional<double>*>(o.dst)) {
          std::ostringstream ss;
          ss << *v;
          def = ss.str();
        }
        break;
      }
      case Option::kBool: def = *static_cast<bool*>(o.dst) ? "on" : ""; break;
      case Option::kList: {
        for (const auto& s : *static_cast<std::vector<std::string>*>(o.dst)) def += (def.empty() ? "" : ",") + s;
        break;
      }
    }
    char line[1024];
    std::snprintf(line, sizeof line, "  %-28s %s%s\n", left.c_str(), o.help.c_str(),
                  def.empty() ? "" : (" [default: " + def + "]").c_str());
    out += line;
  }
  out += "  --help                       show this help\n";
  return out;
}

nlohmann::json Flags::Values() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& o : options_) {
    switch (o.kind) {
      case Option::kString: j[o.name] = *static_cast<std::string*>(o.dst); break;
      case Option::kInt: j[o.name] = *static_cast<int*>(o.dst); break;
      case Option::kInt64: j[o.name] = *static_cast<long long*>(o.dst); break;
      case Option::kDouble: j[o.name] = *static_cast<double*>(o.dst); break;
      case Option::kOptInt: {
        const auto& v = *static_cast<std::optional<int>*>(o.dst);
        j[o.name] = v ? nlohmann::json(*v) : nlohmann::json();
        break;
      }
      case Option::kOptDouble: {
        const auto& v = *static_cast<std::optional<double>*>(o.dst);
        j[o.name] = v ? nlohmann::json(*v) : nlohmann::json();
        break;
      }
      case Option::kBool: j[o.name] = *static_cast<bool*>(o.dst); break;
      case Option::kList: j[o.name] = *static_cast<std::vector<std::string>*>(o.dst); break;
    }
  }
  return j;
}

bool Flags::WasSet(const std::string& name) const {
  for (const auto& o : options_)
    if (o.name == name) return o.set;
  return false;
}

}  // namespace bhasa
