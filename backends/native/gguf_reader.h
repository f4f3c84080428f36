// GGUF v2/v3 reader over a read-only mapping.
//
// Everything read from the file is validated before use: every count is
// checked against the bytes that remain before anything is allocated, string
// lengths, nested-array depth, tensor dims, types, offsets, alignment and data
// extents. Failure: bhasa::Error whose message starts with the file path and
// names the key or tensor involved. Thread-safety: no shared state.
#pragma once

#include <string>

#include "backends/native/model_file.h"

namespace bhasa::native {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" little-endian
constexpr uint32_t kGgufDefaultAlignment = 32;
constexpr int kGgufMaxDims = 4;
constexpr int kGgufMaxArrayDepth = 8;

// Parses the file at `path` into ModelFile parts (format "gguf"); the parts
// keep the mapping alive.
ModelFile::Parts ReadGguf(const std::string& path);

}  // namespace bhasa::native
