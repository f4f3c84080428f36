#include "backends/native/gguf_reader.h"

#include <cstring>
#include <limits>
#include <set>

#include "common/mapped_file.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

// Bounds-checked little-endian cursor over the mapping. `where_` names what
// is being read for error messages ("header", "key 'x'", "tensor 'y'").
class Cursor {
 public:
  Cursor(const std::string& path, const uint8_t* data, size_t size)
      : path_(path), data_(data), size_(size) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  void set_where(std::string w) { where_ = std::move(w); }

  [[noreturn]] void Fail(const std::string& msg) const {
    throw Error(path_ + ": " + where_ + ": " + msg + " (at byte " + std::to_string(pos_) + ")");
  }

  void Need(uint64_t n, const char* what) {
    if (n > remaining())
      Fail(std::string("truncated file: ") + what + " needs " + std::to_string(n) + " bytes, " +
           std::to_string(remaining()) + " remain");
  }
  template <typename T>
  T Read(const char* what) {
    Need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string ReadString(const char* what) {
    const uint64_t len = Read<uint64_t>(what);
    if (len > remaining())
      Fail(std::string(what) + " length " + std::to_string(len) + " runs past the end of the file (" +
           std::to_string(remaining()) + " bytes remain)");
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return s;
  }
  // Checks that `count` items of at least `min_item_bytes` each can fit.
  void CheckCount(uint64_t count, uint64_t min_item_bytes, const char* what) {
    if (min_item_bytes && count > remaining() / min_item_bytes)
      Fail(std::string(what) + " count " + std::to_string(count) + " is impossible: only " +
           std::to_string(remaining()) + " bytes remain");
  }
  void Seek(size_t p) { pos_ = p; }

 private:
  const std::string& path_;
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string where_ = "header";
};

size_t ScalarSize(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64: return 8;
    case GgufValueType::kString: return 8;   // at least the length
    case GgufValueType::kArray: return 12;   // at least type + count
  }
  return 0;
}

bool IsValueType(uint32_t raw) { return raw <= static_cast<uint32_t>(GgufValueType::kFloat64); }

int64_t ReadInt(Cursor& c, GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8: return c.Read<uint8_t>("uint8 value");
    case GgufValueType::kInt8: return c.Read<int8_t>("int8 value");
    case GgufValueType::kUint16: return c.Read<uint16_t>("uint16 value");
    case GgufValueType::kInt16: return c.Read<int16_t>("int16 value");
    case GgufValueType::kUint32: return c.Read<uint32_t>("uint32 value");
    case GgufValueType::kInt32: return c.Read<int32_t>("int32 value");
    case GgufValueType::kUint64: return static_cast<int64_t>(c.Read<uint64_t>("uint64 value"));
    case GgufValueType::kInt64: return c.Read<int64_t>("int64 value");
    case GgufValueType::kBool: {
      uint8_t b = c.Read<uint8_t>("bool value");
      if (b > 1) c.Fail("bool value " + std::to_string(b) + " is neither 0 nor 1");
      return b;
    }
    default: c.Fail("internal: not an integer type");
  }
}

double ReadFloat(Cursor& c, GgufValueType t) {
  if (t == GgufValueType::kFloat32) return c.Read<float>("float32 value");
  return c.Read<double>("float64 value");
}

MetaValue ReadValue(Cursor& c, GgufValueType t, int depth) {
  if (t == GgufValueType::kString) return MetaValue::Str(c.ReadString("string value"));
  if (t == GgufValueType::kFloat32 || t == GgufValueType::kFloat64)
    return MetaValue::Float(t, ReadFloat(c, t));
  if (t == GgufValueType::kBool) return MetaValue::Bool(ReadInt(c, t) != 0);
  if (t != GgufValueType::kArray) return MetaValue::Int(t, ReadInt(c, t));

  if (depth >= kGgufMaxArrayDepth) c.Fail("arrays nested deeper than " + std::to_string(kGgufMaxArrayDepth));
  const uint32_t raw = c.Read<uint32_t>("array element type");
  if (!IsValueType(raw)) c.Fail("unknown array element type " + std::to_string(raw));
  const auto et = static_cast<GgufValueType>(raw);
  const uint64_t n = c.Read<uint64_t>("array length");
  c.CheckCount(n, ScalarSize(et), "array");
  if (et == GgufValueType::kString) {
    std::vector<std::string> v;
    v.reserve(n);
    for (uint64_t i = 0; i < n; ++i) v.push_back(c.ReadString("array string"));
    return MetaValue::StrArray(std::move(v));
  }
  if (et == GgufValueType::kFloat32 || et == GgufValueType::kFloat64) {
    std::vector<double> v(n);
    for (uint64_t i = 0; i < n; ++i) v[i] = ReadFloat(c, et);
    return MetaValue::FloatArray(et, std::move(v));
  }
  if (et == GgufValueType::kArray) {
    std::vector<MetaValue> v;
    v.reserve(n);
    for (uint64_t i = 0; i < n; ++i) v.push_back(ReadValue(c, et, depth + 1));
    return MetaValue::NestedArray(et, std::move(v));
  }
  std::vector<int64_t> v(n);
  for (uint64_t i = 0; i < n; ++i) v[i] = ReadInt(c, et);
  return MetaValue::IntArray(et, std::move(v));
}

}  // namespace

ModelFile::Parts ReadGguf(const std::string& path) {
  ModelFile::Parts parts;
  auto map = MappedFile::Open(path);
  parts.path = path;
  parts.format = "gguf";
  parts.mappings.push_back(map);
  Cursor c(path, map->data(), map->size());

  const uint32_t magic = c.Read<uint32_t>("magic");
  if (magic != kGgufMagic) c.Fail("bad magic: not a GGUF file");
  const uint32_t version = c.Read<uint32_t>("version");
  if (version != 2 && version != 3)
    c.Fail("unsupported GGUF version " + std::to_string(version) + " (supported: 2, 3)");
  parts.gguf_version = version;
  const uint64_t n_tensors = c.Read<uint64_t>("tensor count");
  const uint64_t n_kv = c.Read<uint64_t>("metadata count");
  c.CheckCount(n_kv, 8 + 4 + 1, "metadata");

  for (uint64_t i = 0; i < n_kv; ++i) {
    c.set_where("metadata entry " + std::to_string(i));
    std::string key = c.ReadString("key");
    c.set_where("key '" + key + "'");
    const uint32_t raw = c.Read<uint32_t>("value type");
    if (!IsValueType(raw)) c.Fail("unknown value type " + std::to_string(raw));
    MetaValue v = ReadValue(c, static_cast<GgufValueType>(raw), 0);
    if (!parts.metadata.emplace(key, std::move(v)).second) c.Fail("duplicate key");
  }

  uint64_t alignment = kGgufDefaultAlignment;
  if (auto it = parts.metadata.find("general.alignment"); it != parts.metadata.end()) {
    c.set_where("key 'general.alignment'");
    const MetaValue& a = it->second;
    if (a.type != GgufValueType::kUint32) c.Fail("must be a uint32");
    alignment = static_cast<uint64_t>(std::get<int64_t>(a.value));
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
      c.Fail("alignment " + std::to_string(alignment) + " is not a power of two");
  }

  c.set_where("tensor infos");
  c.CheckCount(n_tensors, 8 + 4 + 4 + 8, "tensor");
  struct Pending {
    uint64_t offset;
  };
  std::vector<Pending> offsets;
  parts.tensors.reserve(n_tensors);
  offsets.reserve(n_tensors);
  std::set<std::string> names;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    c.set_where("tensor info " + std::to_string(i));
    TensorInfo t;
    t.name = c.ReadString("tensor name");
    c.set_where("tensor '" + t.name + "'");
    if (!names.insert(t.name).second) c.Fail("duplicate tensor name");
    const uint32_t n_dims = c.Read<uint32_t>("dimension count");
    if (n_dims > static_cast<uint32_t>(kGgufMaxDims))
      c.Fail("has " + std::to_string(n_dims) + " dimensions (at most " + std::to_string(kGgufMaxDims) + ")");
    int64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const int64_t ne = c.Read<int64_t>("dimension");
      if (ne < 0) c.Fail("negative dimension " + std::to_string(ne));
      if (ne != 0 && elements > std::numeric_limits<int64_t>::max() / ne)
        c.Fail("element count overflows");
      elements *= ne;
      t.ne.push_back(ne);
    }
    const uint32_t raw_type = c.Read<uint32_t>("tensor type");
    if (!IsKnownType(raw_type)) c.Fail("unknown ggml type id " + std::to_string(raw_type));
    t.type = static_cast<GgmlType>(raw_type);
    const TypeTraits& tr = Traits(t.type);
    if (t.cols() % tr.block_size != 0)
      c.Fail("row length " + std::to_string(t.cols()) + " is not a multiple of the " + tr.name +
             " block size " + std::to_string(tr.block_size));
    const uint64_t blocks = static_cast<uint64_t>(elements / tr.block_size);
    if (blocks > std::numeric_limits<uint64_t>::max() / tr.type_size) c.Fail("byte size overflows");
    t.bytes = static_cast<size_t>(blocks * tr.type_size);
    const uint64_t offset = c.Read<uint64_t>("data offset");
    if (offset % alignment != 0)
      c.Fail("data offset " + std::to_string(offset) + " is not a multiple of the alignment " +
             std::to_string(alignment));
    parts.tensors.push_back(std::move(t));
    offsets.push_back({offset});
  }

  c.set_where("data section");
  uint64_t data_start = c.pos();
  data_start = (data_start + alignment - 1) / alignment * alignment;
  if (n_tensors > 0 && data_start > map->size())
    c.Fail("file ends before the data section at byte " + std::to_string(data_start));
  const uint64_t data_size = map->size() > data_start ? map->size() - data_start : 0;
  for (size_t i = 0; i < parts.tensors.size(); ++i) {
    TensorInfo& t = parts.tensors[i];
    const uint64_t off = offsets[i].offset;
    if (off > data_size || t.bytes > data_size - off) {
      c.set_where("tensor '" + t.name + "'");
      c.Fail("data [" + std::to_string(off) + ", +" + std::to_string(t.bytes) +
             ") runs past the end of the data section (" + std::to_string(data_size) + " bytes)");
    }
    t.data = map->data() + data_start + off;
  }
  return parts;
}

}  // namespace bhasa::native
