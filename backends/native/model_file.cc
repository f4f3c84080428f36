#include "backends/native/model_file.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstring>

#include "backends/native/gguf_reader.h"
#include "common/mapped_file.h"
#include "backends/native/row_alignment.h"
#include "backends/native/safetensors.h"
#include "common/error.h"

namespace bhasa::native {

const char* GgufValueTypeName(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8: return "uint8";
    case GgufValueType::kInt8: return "int8";
    case GgufValueType::kUint16: return "uint16";
    case GgufValueType::kInt16: return "int16";
    case GgufValueType::kUint32: return "uint32";
    case GgufValueType::kInt32: return "int32";
    case GgufValueType::kFloat32: return "float32";
    case GgufValueType::kBool: return "bool";
    case GgufValueType::kString: return "string";
    case GgufValueType::kArray: return "array";
    case GgufValueType::kUint64: return "uint64";
    case GgufValueType::kInt64: return "int64";
    case GgufValueType::kFloat64: return "float64";
  }
  return "unknown";
}

MetaValue MetaValue::Int(GgufValueType t, int64_t v) { return MetaValue{t, t, v}; }
MetaValue MetaValue::Float(GgufValueType t, double v) { return MetaValue{t, t, v}; }
MetaValue MetaValue::Bool(bool v) { return MetaValue{GgufValueType::kBool, GgufValueType::kBool, v}; }
MetaValue MetaValue::Str(std::string v) {
  return MetaValue{GgufValueType::kString, GgufValueType::kString, std::move(v)};
}
MetaValue MetaValue::IntArray(GgufValueType elem, std::vector<int64_t> v) {
  return MetaValue{GgufValueType::kArray, elem, std::move(v)};
}
MetaValue MetaValue::FloatArray(GgufValueType elem, std::vector<double> v) {
  return MetaValue{GgufValueType::kArray, elem, std::move(v)};
}
MetaValue MetaValue::StrArray(std::vector<std::string> v) {
  return MetaValue{GgufValueType::kArray, GgufValueType::kString, std::move(v)};
}
MetaValue MetaValue::NestedArray(GgufValueType elem, std::vector<MetaValue> v) {
  return MetaValue{GgufValueType::kArray, elem, std::move(v)};
}

size_t MetaValue::ArraySize() const {
  if (type != GgufValueType::kArray) return 0;
  return std::visit(
      [](const auto& v) -> size_t {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::vector<int64_t>> || std::is_same_v<V, std::vector<double>> ||
                      std::is_same_v<V, std::vector<std::string>> || std::is_same_v<V, std::vector<MetaValue>>)
          return v.size();
        else
          return 0;
      },
      value);
}

int64_t TensorInfo::rows() const {
  int64_t r = 1;
  for (size_t i = 1; i < ne.size(); ++i) r *= ne[i];
  return r;
}

int64_t TensorInfo::SourceRow(int64_t r) const {
  if (permute_heads <= 0) return r;
  const int64_t head_dim = rows() / permute_heads;
  const int64_t half = head_dim / 2;
  const int64_t h = r / head_dim, w = r % head_dim;
  return h * head_dim + (w % 2) * half + w / 2;
}

void TensorInfo::DequantizeRowTo(int64_t r, float* dst) const {
  if (r < 0 || r >= rows()) throw Error("tensor '" + name + "': row " + std::to_string(r) + " out of range");
  DequantizeRow(type, Row(r), dst, cols());
}

std::vector<float> TensorInfo::Dequantize() const {
  std::vector<float> out(static_cast<size_t>(elements()));
  for (int64_t r = 0; r < rows(); ++r) DequantizeRowTo(r, out.data() + r * cols());
  return out;
}

ModelFile::ModelFile(Parts parts) : parts_(std::move(parts)) {
  for (size_t i = 0; i < parts_.tensors.size(); ++i)
    if (!index_.emplace(parts_.tensors[i].name, i).second)
      Fail("duplicate tensor '" + parts_.tensors[i].name + "'");
  // A file may start a tensor at any byte (GGUF general.alignment 1, a
  // safetensors offset); the kernels load whole floats and fp16 scales, so
  // such a tensor is read from an aligned copy instead of the mapping.
  for (TensorInfo& t : parts_.tensors) {
    if (reinterpret_cast<uintptr_t>(t.data) % RowAlignment(t.type) == 0) continue;
    auto& copy = parts_.derived.emplace_back(std::make_unique_for_overwrite<float[]>((t.bytes + 3) / 4));
    std::memcpy(copy.get(), t.data, t.bytes);
    t.data = reinterpret_cast<const uint8_t*>(copy.get());
  }
}

ModelFile::~ModelFile() = default;

std::unique_ptr<ModelFile> ModelFile::Open(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error(path + ": no such file or directory");
  if (S_ISDIR(st.st_mode)) return std::make_unique<ModelFile>(ReadSafetensorsDir(path));
  return std::make_unique<ModelFile>(ReadGguf(path));
}

void ModelFile::Fail(const std::string& what) const { throw Error(parts_.path + ": " + what); }

bool ModelFile::HasTensor(const std::string& name) const { return index_.count(name) != 0; }

const TensorInfo& ModelFile::Tensor(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) Fail("missing tensor '" + name + "'");
  return parts_.tensors[it->second];
}

bool ModelFile::Has(const std::string& key) const { return parts_.metadata.count(key) != 0; }

const MetaValue& ModelFile::Get(const std::string& key) const {
  auto it = parts_.metadata.find(key);
  if (it == parts_.metadata.end()) Fail("missing metadata key '" + key + "'");
  return it->second;
}

namespace {
bool IsIntLike(GgufValueType t) {
  return t != GgufValueType::kFloat32 && t != GgufValueType::kFloat64 && t != GgufValueType::kString &&
         t != GgufValueType::kArray && t != GgufValueType::kBool;
}
}  // namespace

int64_t ModelFile::GetInt(const std::string& key) const {
  const MetaValue& v = Get(key);
  if (!IsIntLike(v.type)) Fail("metadata key '" + key + "' is a " + GgufValueTypeName(v.type) + ", not an integer");
  return std::get<int64_t>(v.value);
}
int64_t ModelFile::GetInt(const std::string& key, int64_t fallback) const {
  return Has(key) ? GetInt(key) : fallback;
}

double ModelFile::GetFloat(const std::string& key) const {
  const MetaValue& v = Get(key);
  if (v.type == GgufValueType::kFloat32 || v.type == GgufValueType::kFloat64) return std::get<double>(v.value);
  if (IsIntLike(v.type)) return static_cast<double>(std::get<int64_t>(v.value));
  Fail("metadata key '" + key + "' is a " + GgufValueTypeName(v.type) + ", not a number");
}
double ModelFile::GetFloat(const std::string& key, double fallback) const {
  return Has(key) ? GetFloat(key) : fallback;
}

std::string ModelFile::GetString(const std::string& key) const {
  const MetaValue& v = Get(key);
  if (v.type != GgufValueType::kString)
    Fail("metadata key '" + key + "' is a " + GgufValueTypeName(v.type) + ", not a string");
  return std::get<std::string>(v.value);
}
std::string ModelFile::GetString(const std::string& key, const std::string& fallback) const {
  return Has(key) ? GetString(key) : fallback;
}

bool ModelFile::GetBool(const std::string& key) const {
  const MetaValue& v = Get(key);
  if (v.type != GgufValueType::kBool) Fail("metadata key '" + key + "' is a " + GgufValueTypeName(v.type) + ", not a bool");
  return std::get<bool>(v.value);
}
bool ModelFile::GetBool(const std::string& key, bool fallback) const { return Has(key) ? GetBool(key) : fallback; }

std::vector<std::string> ModelFile::GetStringArray(const std::string& key) const {
  const MetaValue& v = Get(key);
  if (v.type != GgufValueType::kArray || v.elem_type != GgufValueType::kString)
    Fail("metadata key '" + key + "' is not an array of strings");
  return std::get<std::vector<std::string>>(v.value);
}

std::vector<int64_t> ModelFile::GetIntArray(const std::string& key) const {
  const MetaValue& v = Get(key);
  if (v.type != GgufValueType::kArray || !std::holds_alternative<std::vector<int64_t>>(v.value))
    Fail("metadata key '" + key + "' is not an array of integers");
  return std::get<std::vector<int64_t>>(v.value);
}

std::vector<float> ModelFile::GetFloatArray(const std::string& key) const {
  const MetaValue& v = Get(key);
  std::vector<float> out;
  if (v.type == GgufValueType::kArray && std::holds_alternative<std::vector<double>>(v.value)) {
    for (double d : std::get<std::vector<double>>(v.value)) out.push_back(static_cast<float>(d));
  } else if (v.type == GgufValueType::kArray && v.elem_type != GgufValueType::kBool &&
             std::holds_alternative<std::vector<int64_t>>(v.value)) {
    for (int64_t d : std::get<std::vector<int64_t>>(v.value)) out.push_back(static_cast<float>(d));
  } else {
    Fail("metadata key '" + key + "' is not an array of numbers");
  }
  return out;
}

}  // namespace bhasa::native
