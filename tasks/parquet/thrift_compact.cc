#include "tasks/parquet/thrift_compact.h"

#include <limits>

namespace bhasa::tasks::parquet {

void ThriftReader::BeginStruct() {
  if (depth_ + 1 >= static_cast<int>(std::size(last_id_))) throw Error("thrift: structs nested too deeply");
  last_id_[++depth_] = 0;
}

bool ThriftReader::NextField(ThriftField& f) {
  const uint8_t h = in_.Byte("thrift field header");
  if (h == 0) {
    --depth_;
    return false;
  }
  const uint8_t type = h & 0x0f;
  if (type > static_cast<uint8_t>(ThriftType::kStruct)) throw Error("thrift: bad field type " + std::to_string(type));
  f.type = static_cast<ThriftType>(type);
  const uint8_t delta = h >> 4;
  if (delta) {
    f.id = static_cast<int16_t>(last_id_[depth_] + delta);
  } else {
    const int64_t id = in_.ZigZag("thrift field id");
    if (id < std::numeric_limits<int16_t>::min() || id > std::numeric_limits<int16_t>::max())
      throw Error("thrift: field id out of range");
    f.id = static_cast<int16_t>(id);
  }
  last_id_[depth_] = f.id;
  return true;
}

bool ThriftReader::Bool(const ThriftField& f) {
  if (f.type == ThriftType::kTrue) return true;
  if (f.type == ThriftType::kFalse) return false;
  throw Error("thrift: field " + std::to_string(f.id) + " is not a bool");
}

int32_t ThriftReader::I32() {
  const int64_t v = in_.ZigZag("thrift i32");
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    throw Error("thrift: i32 out of range");
  return static_cast<int32_t>(v);
}

int64_t ThriftReader::I64() { return in_.ZigZag("thrift i64"); }

std::string ThriftReader::String() {
  const uint64_t n = in_.Varint("thrift string length");
  return std::string(in_.Take(n, "thrift string"));
}

ThriftList ThriftReader::List() {
  const uint8_t h = in_.Byte("thrift list header");
  ThriftList l;
  l.elem = static_cast<ThriftType>(h & 0x0f);
  uint64_t size = h >> 4;
  if (size == 15) size = in_.Varint("thrift list size");
  // Every element takes at least one byte: a larger count is a lie.
  if (size > in_.remaining()) throw Error("thrift: list of " + std::to_string(size) + " elements in " +
                                          std::to_string(in_.remaining()) + " bytes");
  l.size = static_cast<uint32_t>(size);
  return l;
}

// Bools inside collections take one byte each, unlike field-header bools.
void ThriftReader::SkipElement(ThriftType t) {
  if (t == ThriftType::kTrue || t == ThriftType::kFalse) in_.Skip(1, "thrift bool");
  else Skip(t);
}

void ThriftReader::Skip(ThriftType t) {
  if (++skip_depth_ > 64) throw Error("thrift: values nested too deeply");
  struct Leave { int& d; ~Leave() { --d; } } leave{skip_depth_};
  switch (t) {
    case ThriftType::kTrue:
    case ThriftType::kFalse: return;  // field-header bools carry no payload
    case ThriftType::kByte: in_.Skip(1, "thrift byte"); return;
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64: in_.Varint("thrift integer"); return;
    case ThriftType::kDouble: in_.Skip(8, "thrift double"); return;
    case ThriftType::kBinary: in_.Skip(in_.Varint("thrift binary length"), "thrift binary"); return;
    case ThriftType::kList:
    case ThriftType::kSet: {
      ThriftList l = List();
      for (uint32_t i = 0; i < l.size; ++i) SkipElement(l.elem);
      return;
    }
    case ThriftType::kMap: {
      const uint64_t n = in_.Varint("thrift map size");
      if (n == 0) return;
      if (n > in_.remaining()) throw Error("thrift: map of " + std::to_string(n) + " entries is impossible");
      const uint8_t kv = in_.Byte("thrift map types");
      for (uint64_t i = 0; i < n; ++i) {
        SkipElement(static_cast<ThriftType>(kv >> 4));
        SkipElement(static_cast<ThriftType>(kv & 0x0f));
      }
      return;
    }
    case ThriftType::kStruct: {
      BeginStruct();
      ThriftField f;
      while (NextField(f)) Skip(f.type);
      return;
    }
    case ThriftType::kStop: break;
  }
  throw Error("thrift: cannot skip type " + std::to_string(static_cast<int>(t)));
}

}  // namespace bhasa::tasks::parquet
