// ModelFile: a read-only, memory-mapped view of a model's weights and
// metadata. GGUF files and Hugging Face safetensors directories both produce
// it; the forward pass never parses files.
//
// Ownership: a ModelFile owns its mappings; TensorInfo::data points into them
// and stays valid for the ModelFile's lifetime. Thread-safety: const after
// Open, safe to share across threads. Failure: Open and the accessors throw
// bhasa::Error naming the file and the tensor or key involved.
//
// Metadata uses GGUF keys for both formats. For an HF directory, config.json is
// translated as llama.cpp's converter would (hf_config.h): general.architecture
// ("llama" for model_type llama/mistral, "qwen2", "gemma2") and, under that
// prefix, block_count, embedding_length, feed_forward_length, context_length,
// attention.head_count, attention.head_count_kv, attention.layer_norm_rms_epsilon,
// rope.freq_base, attention.key_length/value_length (when config.json has
// head_dim); llama also rope.dimension_count, vocab_size; llama and qwen2
// rope.scaling.{type,factor,low_freq_factor,high_freq_factor,
// original_context_length} from rope_scaling; gemma2 attn_logit_softcapping,
// final_logit_softcapping, attention.sliding_window; for all,
// tokenizer.ggml.bos_token_id/eos_token_id when given. The tokenizer files are
// not translated: their paths are exposed by
// TokenizerJsonPath()/TokenizerConfigJsonPath() for the tokenizer to load.
//
// GEMMA NORMS (HF only). Gemma checkpoints store RMSNorm weights w and use
// (1 + w); GGUF files store 1 + w. Those tensors are computed at load time
// as F32 (as the converter does: in f32, or rounded to f16 first for F16
// checkpoints), so both formats present the GGUF convention.
//
// Q/K ROW PERMUTATION (HF llama only; Qwen2 and Gemma 2 use RoPE NEOX, which
// is HF's layout). HF Llama checkpoints lay out each head of
// attn_q/attn_k for rotate_half RoPE (first half / second half pairs);
// llama.cpp's converter permutes those rows so that RoPE "NORM" (adjacent
// pairs) applies. The weights here stay mapped, so the permutation is not
// applied to the bytes; instead TensorInfo::permute_heads is set to the head
// count used by the permutation (n_head for attn_q, n_head_kv for attn_k), and
// the GGUF-order row r lives at source row SourceRow(r). ALWAYS fetch rows with
// TensorInfo::Row(r) (or SourceRow) when reading a weight matrix row by row;
// `data` is then the unpermuted source. For GGUF tensors permute_heads is 0 and
// Row(r) == data + r * row_bytes().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "backends/native/ggml_types.h"

namespace bhasa {
class MappedFile;  // common/mapped_file.h
}  // namespace bhasa

namespace bhasa::native {

// GGUF metadata value types (gguf_type), with their on-disk ids.
enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
const char* GgufValueTypeName(GgufValueType t);

// One metadata value. Storage by kind:
//   integer scalars (all widths; uint64 kept bit-for-bit) → int64_t
//   float32/float64 → double;  bool → bool;  string → std::string
//   arrays (type == kArray, element type in elem_type):
//     integer or bool elements → std::vector<int64_t>
//     float elements → std::vector<double>
//     string elements → std::vector<std::string>
//     nested arrays → std::vector<MetaValue>
struct MetaValue {
  GgufValueType type = GgufValueType::kInt64;
  GgufValueType elem_type = GgufValueType::kInt64;  // only for kArray
  std::variant<int64_t, double, bool, std::string, std::vector<int64_t>, std::vector<double>,
               std::vector<std::string>, std::vector<MetaValue>>
      value;

  static MetaValue Int(GgufValueType t, int64_t v);
  static MetaValue Float(GgufValueType t, double v);
  static MetaValue Bool(bool v);
  static MetaValue Str(std::string v);
  static MetaValue IntArray(GgufValueType elem, std::vector<int64_t> v);
  static MetaValue FloatArray(GgufValueType elem, std::vector<double> v);
  static MetaValue StrArray(std::vector<std::string> v);
  static MetaValue NestedArray(GgufValueType elem, std::vector<MetaValue> v);

  size_t ArraySize() const;  // 0 for scalars
  bool operator==(const MetaValue& o) const = default;
};

struct TensorInfo {
  std::string name;                 // GGUF name, e.g. "blk.0.attn_q.weight"
  GgmlType type = GgmlType::F32;
  std::vector<int64_t> ne;          // ggml order: ne[0] = row length (in features)
  const uint8_t* data = nullptr;    // first byte, inside the owning ModelFile's mapping
  size_t bytes = 0;                 // total bytes
  int32_t permute_heads = 0;        // see the header comment; 0 = rows as stored

  int64_t cols() const { return ne.empty() ? 1 : ne[0]; }
  int64_t rows() const;             // product of ne[1..], 1 for a vector
  int64_t elements() const { return cols() * rows(); }
  size_t row_bytes() const { return RowBytes(type, cols()); }
  int64_t SourceRow(int64_t r) const;           // stored row holding GGUF row r
  const uint8_t* Row(int64_t r) const { return data + SourceRow(r) * row_bytes(); }
  // Row r (GGUF order) as floats; dst has cols() floats.
  void DequantizeRowTo(int64_t r, float* dst) const;
  // Whole tensor as floats, in GGUF row order (tests, small tensors).
  std::vector<float> Dequantize() const;
};

class ModelFile {
 public:
  // What a loader hands over. ModelFile checks names are unique.
  struct Parts {
    std::string path;
    std::string format;  // "gguf" or "safetensors"
    std::vector<TensorInfo> tensors;
    std::map<std::string, MetaValue> metadata;
    std::vector<std::shared_ptr<const MappedFile>> mappings;
    // Tensors computed at load time (HF Gemma norms, stored + 1); their
    // TensorInfo::data points here.
    std::vector<std::unique_ptr<float[]>> derived;
    std::string tokenizer_json;         // HF only, "" when absent
    std::string tokenizer_config_json;  // HF only, "" when absent
    uint32_t gguf_version = 0;          // GGUF only
  };
  explicit ModelFile(Parts parts);
  ~ModelFile();
  ModelFile(const ModelFile&) = delete;
  ModelFile& operator=(const ModelFile&) = delete;

  // A GGUF file, or a directory with config.json and *.safetensors
  // (single file or sharded with model.safetensors.index.json).
  static std::unique_ptr<ModelFile> Open(const std::string& path);

  const std::string& path() const { return parts_.path; }
  std::string format() const { return parts_.format; }
  uint32_t gguf_version() const { return parts_.gguf_version; }

  bool HasTensor(const std::string& name) const;
  const TensorInfo& Tensor(const std::string& name) const;  // Error naming file and tensor
  const std::vector<TensorInfo>& tensors() const { return parts_.tensors; }

  bool Has(const std::string& key) const;
  const MetaValue& Get(const std::string& key) const;  // Error naming file and key
  const std::map<std::string, MetaValue>& metadata() const { return parts_.metadata; }
  // Typed access; the one-argument forms throw when the key is missing or of
  // an incompatible type, the fallback forms return `fallback` when missing
  // (and still throw on a wrong type). Ints accept any integer type, floats
  // any float or integer type.
  int64_t GetInt(const std::string& key) const;
  int64_t GetInt(const std::string& key, int64_t fallback) const;
  double GetFloat(const std::string& key) const;
  double GetFloat(const std::string& key, double fallback) const;
  std::string GetString(const std::string& key) const;
  std::string GetString(const std::string& key, const std::string& fallback) const;
  bool GetBool(const std::string& key) const;
  bool GetBool(const std::string& key, bool fallback) const;
  std::vector<std::string> GetStringArray(const std::string& key) const;
  std::vector<int64_t> GetIntArray(const std::string& key) const;
  std::vector<float> GetFloatArray(const std::string& key) const;

  // HF directories: paths of tokenizer.json / tokenizer_config.json, "" when
  // absent (and always "" for GGUF, whose vocabulary is in the metadata).
  std::string TokenizerJsonPath() const { return parts_.tokenizer_json; }
  std::string TokenizerConfigJsonPath() const { return parts_.tokenizer_config_json; }

 private:
  [[noreturn]] void Fail(const std::string& what) const;
  Parts parts_;
  std::map<std::string, size_t> index_;
};

}  // namespace bhasa::native
