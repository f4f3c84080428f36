// GgufWriter: builds GGUF v3 files (any metadata, tensors of any type), for
// `bhasa model create-random` and for tests. The raw entry points write
// whatever they are given (unknown type ids, odd offsets, duplicate keys) so
// tests can produce deliberately broken files.
//
// Not thread-safe; one writer per file. Failure: Error on bad shapes/types
// (checked entry points) and on I/O errors, naming the path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backends/native/model_file.h"

namespace bhasa::native {

class GgufWriter {
 public:
  // alignment != 32 is recorded as general.alignment (uint32) unless the
  // caller adds that key itself.
  explicit GgufWriter(uint32_t alignment = 32) : alignment_(alignment) {}

  void set_version(uint32_t v) { version_ = v; }
  // Metadata in insertion order; the same key twice is written twice.
  void Add(const std::string& key, MetaValue value);

  // Tensor from f32 values (elements in ggml order, rows of ne[0]),
  // converted with QuantizeRow. Checks ne[0] against the block size.
  void AddTensor(const std::string& name, GgmlType type, std::vector<int64_t> ne, const std::vector<float>& values);
  // Tensor from bytes already in `type`'s layout; size checked.
  void AddTensorBytes(const std::string& name, GgmlType type, std::vector<int64_t> ne, std::vector<uint8_t> bytes);
  // Unchecked: any type id, any bytes, optionally a forced data offset.
  void AddTensorRaw(const std::string& name, uint32_t raw_type, std::vector<int64_t> ne, std::vector<uint8_t> bytes,
                    std::optional<uint64_t> offset = std::nullopt);

  std::vector<uint8_t> Serialize() const;
  void Write(const std::string& path) const;  // atomically (temp file + rename)

 private:
  struct PendingTensor {
    std::string name;
    uint32_t raw_type;
    std::vector<int64_t> ne;
    std::vector<uint8_t> bytes;
    std::optional<uint64_t> offset;
  };
  uint32_t alignment_;
  uint32_t version_ = 3;
  std::vector<std::pair<std::string, MetaValue>> kv_;
  std::vector<PendingTensor> tensors_;
};

// Encodes one metadata value (type tag not included) the way GGUF stores it.
void AppendGgufValue(const MetaValue& v, std::vector<uint8_t>* out);

}  // namespace bhasa::native
