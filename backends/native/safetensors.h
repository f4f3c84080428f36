// Hugging Face safetensors: header parsing and directory loading.
//
// A directory holds config.json, either model.safetensors or shards listed in
// model.safetensors.index.json (otherwise every *.safetensors file), and
// optionally tokenizer.json / tokenizer_config.json. Tensors are mapped, never
// copied, except Gemma's norm weights, computed once as 1 + w; HF names
// become GGUF names (hf_config.h) and, for llama, attn_q/attn_k get
// TensorInfo::permute_heads (see model_file.h). Supported dtypes: F32, F16,
// BF16. Failure: bhasa::Error naming the file and the tensor or field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backends/native/model_file.h"

namespace bhasa::native {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;            // "F32", "BF16", ...
  std::vector<int64_t> shape;   // row-major, outermost first (HF order)
  uint64_t begin = 0, end = 0;  // byte range relative to the data section
};

// Parses and validates the header of a safetensors image of `size` bytes:
// header length, JSON shape, dtype sizes against the byte ranges, ranges
// inside the data section. *data_start receives the data section's offset.
// Entries come back sorted by begin offset; "__metadata__" is skipped.
std::vector<SafetensorsEntry> ParseSafetensorsHeader(const std::string& path, const uint8_t* data,
                                                     size_t size, size_t* data_start);

// Bytes per element of a safetensors dtype, 0 when unknown.
size_t SafetensorsDtypeSize(const std::string& dtype);

ModelFile::Parts ReadSafetensorsDir(const std::string& dir);

}  // namespace bhasa::native
