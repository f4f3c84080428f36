// Default run folder names: a model file's extension is dropped, other dots stay.
#include "results/run_dir.h"

#include <gtest/gtest.h>

namespace bhasa::results {
namespace {

TEST(RunFolderName, DropsModelFileExtensions) {
  EXPECT_EQ(RunFolderName("build/demo/bhasa-demo-Q8_0.gguf"), "bhasa-demo-Q8_0");
  EXPECT_EQ(RunFolderName("model.safetensors"), "model");
  EXPECT_EQ(RunFolderName("/models/Qwen2.5-7B-Instruct/"), "Qwen2.5-7B-Instruct");
  EXPECT_EQ(RunFolderName("aisingapore/Llama-SEA-LION-v2-8B-IT"), "Llama-SEA-LION-v2-8B-IT");
  EXPECT_EQ(RunFolderName(".gguf"), ".gguf");  // nothing would be left
}

}  // namespace
}  // namespace bhasa::results
