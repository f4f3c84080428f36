#include "backends/native/gguf_writer.h"

#include <algorithm>
#include <cstring>

#include "backends/native/gguf_reader.h"
#include "common/error.h"
#include "common/fs.h"

namespace bhasa::native {
namespace {

template <typename T>
void Put(std::vector<uint8_t>* out, T v) {
  const size_t at = out->size();
  out->resize(at + sizeof(T));
  std::memcpy(out->data() + at, &v, sizeof(T));
}

void PutString(std::vector<uint8_t>* out, const std::string& s) {
  Put<uint64_t>(out, s.size());
  out->insert(out->end(), s.begin(), s.end());
}

void PutInt(std::vector<uint8_t>* out, GgufValueType t, int64_t v) {
  switch (t) {
    case GgufValueType::kUint8: Put<uint8_t>(out, static_cast<uint8_t>(v)); break;
    case GgufValueType::kInt8: Put<int8_t>(out, static_cast<int8_t>(v)); break;
    case GgufValueType::kUint16: Put<uint16_t>(out, static_cast<uint16_t>(v)); break;
    case GgufValueType::kInt16: Put<int16_t>(out, static_cast<int16_t>(v)); break;
    case GgufValueType::kUint32: Put<uint32_t>(out, static_cast<uint32_t>(v)); break;
    case GgufValueType::kInt32: Put<int32_t>(out, static_cast<int32_t>(v)); break;
    case GgufValueType::kUint64: Put<uint64_t>(out, static_cast<uint64_t>(v)); break;
    case GgufValueType::kInt64: Put<int64_t>(out, v); break;
    case GgufValueType::kBool: Put<uint8_t>(out, v ? 1 : 0); break;
    default: throw Error(std::string("GGUF writer: ") + GgufValueTypeName(t) + " is not an integer type");
  }
}

void PutFloat(std::vector<uint8_t>* out, GgufValueType t, double v) {
  if (t == GgufValueType::kFloat32) Put<float>(out, static_cast<float>(v));
  else Put<double>(out, v);
}

void Pad(std::vector<uint8_t>* out, uint64_t alignment) {
  while (out->size() % alignment) out->push_back(0);
}

}  // namespace

void AppendGgufValue(const MetaValue& v, std::vector<uint8_t>* out) {
  switch (v.type) {
    case GgufValueType::kString: PutString(out, std::get<std::string>(v.value)); return;
    case GgufValueType::kFloat32:
    case GgufValueType::kFloat64: PutFloat(out, v.type, std::get<double>(v.value)); return;
    case GgufValueType::kBool: Put<uint8_t>(out, std::get<bool>(v.value) ? 1 : 0); return;
    case GgufValueType::kArray: break;
    default: PutInt(out, v.type, std::get<int64_t>(v.value)); return;
  }
  Put<uint32_t>(out, static_cast<uint32_t>(v.elem_type));
  Put<uint64_t>(out, v.ArraySize());
  if (auto* s = std::get_if<std::vector<std::string>>(&v.value)) {
    for (const auto& x : *s) PutString(out, x);
  } else if (auto* f = std::get_if<std::vector<double>>(&v.value)) {
    for (double x : *f) PutFloat(out, v.elem_type, x);
  } else if (auto* i = std::get_if<std::vector<int64_t>>(&v.value)) {
    for (int64_t x : *i) PutInt(out, v.elem_type, x);
  } else if (auto* a = std::get_if<std::vector<MetaValue>>(&v.value)) {
    // Each nested array carries its own element type and length.
    for (const auto& x : *a) AppendGgufValue(x, out);
  }
}

void GgufWriter::Add(const std::string& key, MetaValue value) { kv_.emplace_back(key, std::move(value)); }

void GgufWriter::AddTensor(const std::string& name, GgmlType type, std::vector<int64_t> ne,
                           const std::vector<float>& values) {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  if (static_cast<int64_t>(values.size()) != n)
    throw Error("GGUF writer: tensor '" + name + "' has " + std::to_string(values.size()) + " values, shape needs " +
                std::to_string(n));
  const int64_t cols = ne.empty() ? 1 : ne[0];
  const size_t row_bytes = RowBytes(type, cols);
  const int64_t rows = cols ? n / cols : 0;
  std::vector<uint8_t> bytes(row_bytes * rows);
  for (int64_t r = 0; r < rows; ++r) QuantizeRow(type, values.data() + r * cols, bytes.data() + r * row_bytes, cols);
  AddTensorRaw(name, static_cast<uint32_t>(type), std::move(ne), std::move(bytes));
}

void GgufWriter::AddTensorBytes(const std::string& name, GgmlType type, std::vector<int64_t> ne,
                                std::vector<uint8_t> bytes) {
  int64_t rows = 1;
  for (size_t i = 1; i < ne.size(); ++i) rows *= ne[i];
  const size_t want = RowBytes(type, ne.empty() ? 1 : ne[0]) * rows;
  if (bytes.size() != want)
    throw Error("GGUF writer: tensor '" + name + "' has " + std::to_string(bytes.size()) + " bytes, needs " +
                std::to_string(want));
  AddTensorRaw(name, static_cast<uint32_t>(type), std::move(ne), std::move(bytes));
}

void GgufWriter::AddTensorRaw(const std::string& name, uint32_t raw_type, std::vector<int64_t> ne,
                              std::vector<uint8_t> bytes, std::optional<uint64_t> offset) {
  tensors_.push_back({name, raw_type, std::move(ne), std::move(bytes), offset});
}

std::vector<uint8_t> GgufWriter::Serialize() const {
  std::vector<uint8_t> out;
  auto kv = kv_;
  bool has_alignment = false;
  for (const auto& [k, v] : kv) has_alignment |= k == "general.alignment";
  if (alignment_ != kGgufDefaultAlignment && !has_alignment)
    kv.emplace_back("general.alignment", MetaValue::Int(GgufValueType::kUint32, alignment_));
  const uint64_t align = alignment_ ? alignment_ : 1;

  Put<uint32_t>(&out, kGgufMagic);
  Put<uint32_t>(&out, version_);
  Put<uint64_t>(&out, tensors_.size());
  Put<uint64_t>(&out, kv.size());
  for (const auto& [k, v] : kv) {
    PutString(&out, k);
    Put<uint32_t>(&out, static_cast<uint32_t>(v.type));
    AppendGgufValue(v, &out);
  }
  std::vector<uint64_t> offsets;
  uint64_t next = 0;
  for (const auto& t : tensors_) {
    const uint64_t off = t.offset ? *t.offset : next;
    offsets.push_back(off);
    next = (std::max(next, off + t.bytes.size()) + align - 1) / align * align;
    PutString(&out, t.name);
    Put<uint32_t>(&out, static_cast<uint32_t>(t.ne.size()));
    for (int64_t d : t.ne) Put<int64_t>(&out, d);
    Put<uint32_t>(&out, t.raw_type);
    Put<uint64_t>(&out, off);
  }
  Pad(&out, align);
  const size_t data_start = out.size();
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const uint64_t at = data_start + offsets[i];
    // A forced offset far past any real data is a deliberately broken file:
    // leave its bytes out rather than allocate up to it.
    if (tensors_[i].offset && at + tensors_[i].bytes.size() > (uint64_t{1} << 28)) continue;
    if (out.size() < at + tensors_[i].bytes.size()) out.resize(at + tensors_[i].bytes.size(), 0);
    std::copy(tensors_[i].bytes.begin(), tensors_[i].bytes.end(), out.begin() + at);  // empty: no memcpy(null)
  }
  if (!tensors_.empty()) Pad(&out, align);
  return out;
}

void GgufWriter::Write(const std::string& path) const {
  const auto bytes = Serialize();
  WriteFileAtomic(path, std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace bhasa::native
