// Hugging Face model directories: config.json, tokenizer_config.json and the
// safetensors header, read as ReadSafetensorsDir reads them.
// Input: config.json, tokenizer_config.json, model.safetensors (fuzz/support.h parts).
#include "backends/native/model_file.h"
#include "fuzz/support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bhasa::native;
  static const bhasa::fuzz::ScratchDir dir;
  auto parts = bhasa::fuzz::SplitParts(data, size, 3);
  dir.Reset();
  dir.Write("config.json", parts[0]);
  if (!parts[1].empty()) dir.Write("tokenizer_config.json", parts[1]);
  dir.Write("model.safetensors", parts[2]);
  bhasa::fuzz::ExpectErrorOnly([&] { ModelFile::Open(dir.path()); });
  return 0;
}
