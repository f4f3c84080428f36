#include <algorithm>
#include <map>

#include "backends/native/arch/arch.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

std::map<std::string, const Architecture*>& Registry() {
  static std::map<std::string, const Architecture*> registry;
  return registry;
}

std::string Shape(const std::vector<int64_t>& ne) {
  std::string s = "[";
  for (size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

}  // namespace

RegisterArchitecture::RegisterArchitecture(const Architecture& arch) {
  if (!Registry().emplace(arch.name, &arch).second)
    throw Error(std::string("architecture '") + arch.name + "' registered twice");
}

const Architecture* FindArchitecture(const std::string& name) {
  auto it = Registry().find(name);
  return it == Registry().end() ? nullptr : it->second;
}

std::vector<std::string> ArchitectureNames() {
  std::vector<std::string> names;
  for (const auto& [name, arch] : Registry()) names.push_back(name);
  return names;
}

void ArchFail(const ModelFile& f, const std::string& msg) { throw Error(f.path() + ": " + msg); }

const TensorInfo* RequireTensor(const ModelFile& f, const std::string& name, std::vector<int64_t> ne) {
  if (!f.HasTensor(name)) ArchFail(f, "missing tensor " + name);
  const TensorInfo& t = f.Tensor(name);
  std::vector<int64_t> got = t.ne;
  while (got.size() > ne.size() && got.back() == 1) got.pop_back();
  if (got != ne) ArchFail(f, "tensor " + name + " has shape " + Shape(t.ne) + ", expected " + Shape(ne));
  if (!Traits(t.type).supported) ArchFail(f, "tensor " + name + " has unsupported type " + TypeName(t.type));
  return &t;
}

std::vector<float> RequireVector(const ModelFile& f, const std::string& name, int64_t n) {
  return RequireTensor(f, name, {n})->Dequantize();
}

float KeyFloat(const ModelFile& f, const std::string& key, float fallback) {
  return static_cast<float>(f.GetFloat(key, fallback));
}

}  // namespace bhasa::native
