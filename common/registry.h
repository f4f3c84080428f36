// Registry<T>: name-keyed registry that refuses duplicate names.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"

namespace bhasa {

// Holds one Entry per name. Registration happens from static initializers in
// the registering .cc files; lookups after main() starts are read-only.
template <typename Entry>
class Registry {
 public:
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void Add(const std::string& name, Entry entry) {
    std::lock_guard lock(mu_);
    if (!entries_.emplace(name, std::move(entry)).second)
      throw Error("duplicate " + kind_ + " registration: '" + name + "'");
  }
  bool Has(const std::string& name) const { return entries_.count(name) != 0; }
  // Throws an Error listing the valid names when `name` is unknown.
  const Entry& Get(const std::string& name) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) {
      std::string valid;
      for (const auto& [k, v] : entries_) valid += (valid.empty() ? "" : ", ") + k;
      throw Error("unknown " + kind_ + " '" + name + "' (valid: " + valid + ")");
    }
    return it->second;
  }
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : entries_) out.push_back(k);
    return out;
  }
  const std::map<std::string, Entry>& entries() const { return entries_; }

 private:
  std::string kind_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace bhasa
