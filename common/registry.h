// Registry<T>: name-keyed registry that refuses duplicate names.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
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
    const auto [it, added] = entries_.emplace(name, std::move(entry));
    if (!added) throw Error("duplicate " + kind_ + " registration: '" + name + "'");
    index_.emplace(it->first, &it->second);  // map nodes do not move
  }
  bool Has(const std::string& name) const { return index_.count(name) != 0; }
  // Throws an Error listing the valid names when `name` is unknown.
  const Entry& Get(const std::string& name) const {
    const auto it = index_.find(name);
    if (it == index_.end()) {
      std::string valid;
      for (const auto& [k, v] : entries_) valid += (valid.empty() ? "" : ", ") + k;
      throw Error("unknown " + kind_ + " '" + name + "' (valid: " + valid + ")");
    }
    return *it->second;
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
  std::map<std::string, Entry> entries_;  // sorted, for listings
  // Hashed lookups: scorers look up an IFEval check per instruction and row,
  // and the map's compares ran along names that share long prefixes.
  std::unordered_map<std::string_view, const Entry*> index_;
};

}  // namespace bhasa
