// The llama.cpp-made fixture models: every file opens, its tensor types match
// manifest.json, and every quantized tensor dequantizes close to the F32
// original (per-type relative RMS bounds). Quantizing the dequantized
// weights again with our quantizer must give back the same values for the
// symmetric types, which checks the block layouts against ggml's bytes.
#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/native/model_file.h"
#include "common/error.h"
#include "common/fs.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

constexpr const char* kDir = "fixtures/llama-tiny";

std::string Fixture(const std::string& rel) { return bhasa::testing::SharedDir() + "/" + kDir + "/" + rel; }

// Bounds ~20% above what llama-quantize reaches on these N(0, 0.04..0.06)
// weights (measured: f16 2.1e-4, bf16 1.7e-3, q8_0 0.0054, q6_K 0.018,
// q5_K 0.036, q5_0 0.043, q4_K 0.072, q4_0 0.086, q3_K 0.15, q2_K 0.30).
double MaxRelRms(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return 0;
    case GgmlType::F16: return 3e-4;
    case GgmlType::BF16: return 2.2e-3;
    case GgmlType::Q8_0: return 0.0066;
    case GgmlType::Q6_K: return 0.022;
    case GgmlType::Q5_K: return 0.044;
    case GgmlType::Q5_0: return 0.052;
    case GgmlType::Q4_K: return 0.087;
    case GgmlType::Q4_0: return 0.104;
    case GgmlType::Q3_K: return 0.18;
    case GgmlType::Q2_K: return 0.36;
    default: return 0;
  }
}

std::string UpperName(GgmlType t) {
  std::string s = TypeName(t);
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

TEST(GgufFixtures, TypesMatchManifestAndDequantizeNearF32) {
  BHASA_REQUIRE_SHARED(std::string(kDir) + "/manifest.json");
  auto manifest = nlohmann::json::parse(ReadFile(Fixture("manifest.json")));
  auto f32 = ModelFile::Open(Fixture("models/llama-tiny-F32.gguf"));
  int files = 0;
  for (const auto& m : manifest["models"]) {
    const std::string file = m["file"];
    SCOPED_TRACE(file);
    auto mf = ModelFile::Open(Fixture(file));
    ++files;
    EXPECT_EQ(mf->format(), "gguf");
    EXPECT_EQ(mf->GetString("general.architecture"), "llama");
    EXPECT_EQ(mf->GetInt("general.file_type"), m["general.file_type"].get<int64_t>());
    EXPECT_EQ(mf->GetInt("llama.embedding_length"), 256);
    EXPECT_EQ(mf->GetInt("llama.attention.head_count_kv"), 2);
    EXPECT_NEAR(mf->GetFloat("llama.rope.freq_base"), 500000.0, 1e-3);
    EXPECT_EQ(mf->GetStringArray("tokenizer.ggml.tokens").size(), 768u);
    EXPECT_EQ(mf->GetIntArray("tokenizer.ggml.token_type").size(), 768u);
    EXPECT_EQ(mf->GetInt("tokenizer.ggml.bos_token_id"), 763);
    EXPECT_TRUE(mf->Has("tokenizer.chat_template"));
    EXPECT_EQ(mf->tensors().size(), m["tensor_types"].size());
    EXPECT_EQ(mf->HasTensor("output.weight"), !m["tied_embeddings"].get<bool>());
    for (const auto& [name, type] : m["tensor_types"].items()) {
      SCOPED_TRACE(name);
      const TensorInfo& t = mf->Tensor(name);
      EXPECT_EQ(UpperName(t.type), type.get<std::string>());
      const TensorInfo& ref = f32->Tensor(name);
      ASSERT_EQ(t.ne, ref.ne);
      auto got = t.Dequantize();
      auto want = ref.Dequantize();
      double err = 0, sig = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        err += (got[i] - want[i]) * double(got[i] - want[i]);
        sig += double(want[i]) * want[i];
      }
      EXPECT_LE(std::sqrt(err / sig), MaxRelRms(t.type)) << TypeName(t.type);
      // Symmetric block types: the dequantized values are exactly
      // representable, so re-quantizing reproduces them bit for bit.
      if (t.type == GgmlType::Q8_0 || t.type == GgmlType::F16 || t.type == GgmlType::BF16) {
        std::vector<uint8_t> q(t.row_bytes());
        std::vector<float> back(t.cols());
        for (int64_t r = 0; r < t.rows(); ++r) {
          QuantizeRow(t.type, got.data() + r * t.cols(), q.data(), t.cols());
          ASSERT_EQ(0, std::memcmp(q.data(), t.Row(r), q.size())) << "row " << r;
        }
      }
    }
  }
  EXPECT_EQ(files, 16);
}

TEST(GgufFixtures, RowAccessMatchesWholeTensor) {
  BHASA_REQUIRE_SHARED(std::string(kDir) + "/models/llama-tiny-Q4_K_M.gguf");
  auto mf = ModelFile::Open(Fixture("models/llama-tiny-Q4_K_M.gguf"));
  const TensorInfo& t = mf->Tensor("blk.0.ffn_down.weight");
  EXPECT_EQ(t.cols(), 768);
  EXPECT_EQ(t.rows(), 256);
  EXPECT_EQ(t.bytes, t.row_bytes() * 256);
  auto all = t.Dequantize();
  std::vector<float> row(t.cols());
  t.DequantizeRowTo(17, row.data());
  for (int64_t i = 0; i < t.cols(); ++i) ASSERT_EQ(row[i], all[17 * t.cols() + i]);
  EXPECT_THROW(mf->Tensor("blk.9.ffn_down.weight"), Error);
  try {
    mf->Tensor("nope.weight");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.weight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Q4_K_M.gguf"), std::string::npos);
  }
}

}  // namespace
}  // namespace bhasa::native
