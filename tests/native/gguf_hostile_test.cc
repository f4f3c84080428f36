// Broken GGUF files, each produced here through GgufWriter (raw entry points)
// or by editing its bytes. Every one must fail with a bhasa::Error naming the
// file and the problem: never a crash, never a giant allocation.
#include <cstring>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "backends/native/gguf_reader.h"
#include "backends/native/gguf_writer.h"
#include "backends/native/model_file.h"
#include "common/error.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

using VT = GgufValueType;

class GgufHostile : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = bhasa::testing::TempDir("gguf_hostile"); }

  std::string WriteBytes(const std::vector<uint8_t>& b, const std::string& name = "bad.gguf") {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
    return path;
  }
  // Expects Open to throw an Error whose message holds the path and every
  // one of `needles`.
  void ExpectFails(const std::vector<uint8_t>& bytes, std::initializer_list<const char*> needles) {
    const std::string path = WriteBytes(bytes);
    try {
      ModelFile::Open(path);
      ADD_FAILURE() << "opened a broken file; wanted an error with " << *needles.begin();
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      for (const char* n : needles) EXPECT_NE(what.find(n), std::string::npos) << "want '" << n << "' in: " << what;
    }
  }

  // A small valid file: two kv pairs, an array, two tensors. The last
  // tensor's bytes are a multiple of 32, so the file ends with its data.
  static GgufWriter Valid() {
    GgufWriter w;
    w.Add("general.architecture", MetaValue::Str("llama"));
    w.Add("tokenizer.ggml.tokens", MetaValue::StrArray({"a", "b", "c"}));
    w.AddTensor("blk.0.attn_q.weight", GgmlType::Q8_0, {32, 2}, std::vector<float>(64, 0.5f));
    w.AddTensor("output_norm.weight", GgmlType::F32, {8}, std::vector<float>(8, 1.0f));
    return w;
  }

  template <typename T>
  static void Poke(std::vector<uint8_t>* b, size_t at, T v) {
    std::memcpy(b->data() + at, &v, sizeof(T));
  }

  std::string dir_;
};

TEST_F(GgufHostile, ValidBaseOpens) {
  auto mf = ModelFile::Open(WriteBytes(Valid().Serialize(), "ok.gguf"));
  EXPECT_EQ(mf->tensors().size(), 2u);
  EXPECT_EQ(mf->Tensor("output_norm.weight").Dequantize(), std::vector<float>(8, 1.0f));
}

TEST_F(GgufHostile, WrongMagic) {
  auto b = Valid().Serialize();
  b[0] = 'X';
  ExpectFails(b, {"bad magic"});
}

TEST_F(GgufHostile, BadVersion) {
  for (uint32_t v : {0u, 1u, 4u, 0xffffffffu}) {
    auto b = Valid().Serialize();
    Poke<uint32_t>(&b, 4, v);
    ExpectFails(b, {"unsupported GGUF version", std::to_string(v).c_str()});
  }
}

TEST_F(GgufHostile, EmptyAndTinyFiles) {
  ExpectFails({}, {"truncated", "magic"});
  ExpectFails({'G', 'G', 'U', 'F', 3, 0, 0, 0, 1}, {"truncated", "tensor count"});
}

// Every proper prefix that cuts into the header, metadata, tensor infos or
// tensor data must be refused.
TEST_F(GgufHostile, EveryTruncationFails) {
  const auto full = Valid().Serialize();
  for (size_t len = 0; len < full.size(); ++len) {
    SCOPED_TRACE("prefix " + std::to_string(len));
    std::vector<uint8_t> b(full.begin(), full.begin() + len);
    const std::string path = WriteBytes(b);
    EXPECT_THROW(ModelFile::Open(path), Error);
  }
}

TEST_F(GgufHostile, TruncationMessagesNameTheSection) {
  const auto full = Valid().Serialize();
  // Cut inside the first key's string.
  ExpectFails(std::vector<uint8_t>(full.begin(), full.begin() + 50), {"metadata entry 0", "key length 20 runs past the end"});
  // Cut inside the array of tokens: names the key.
  ExpectFails(std::vector<uint8_t>(full.begin(), full.begin() + 120), {"tokenizer.ggml.tokens"});
  // Cut the last tensor's data.
  ExpectFails(std::vector<uint8_t>(full.begin(), full.end() - 4), {"output_norm.weight", "past the end"});
}

TEST_F(GgufHostile, HugeCounts) {
  auto b = Valid().Serialize();
  Poke<uint64_t>(&b, 8, uint64_t{1} << 62);  // tensor count
  ExpectFails(b, {"tensor count", "impossible"});
  b = Valid().Serialize();
  Poke<uint64_t>(&b, 16, std::numeric_limits<uint64_t>::max());  // kv count
  ExpectFails(b, {"metadata count", "impossible"});

  GgufWriter w;
  w.Add("big.array", MetaValue::IntArray(VT::kUint32, {1, 2, 3}));
  b = w.Serialize();
  // The array length sits after magic, version, counts (24), key (8 + 9), value type (4), element type (4).
  const size_t len_at = 24 + 8 + 9 + 4 + 4;
  uint64_t old_len;
  std::memcpy(&old_len, b.data() + len_at, 8);
  ASSERT_EQ(old_len, 3u);
  Poke<uint64_t>(&b, len_at, uint64_t{1} << 61);
  ExpectFails(b, {"big.array", "array count", "impossible"});
}

TEST_F(GgufHostile, StringLengthPastEnd) {
  GgufWriter w;
  w.Add("general.name", MetaValue::Str("tiny"));
  auto b = w.Serialize();
  // Key length field at 24.
  Poke<uint64_t>(&b, 24, uint64_t{1} << 40);
  ExpectFails(b, {"metadata entry 0", "key length", "past the end"});
  b = w.Serialize();
  // The value's length field: after key (8 + 12) and value type (4).
  Poke<uint64_t>(&b, 24 + 8 + 12 + 4, 1000);
  ExpectFails(b, {"general.name", "string value length 1000"});
}

TEST_F(GgufHostile, OffsetPastEnd) {
  GgufWriter w;
  w.AddTensorRaw("token_embd.weight", 0, {8}, std::vector<uint8_t>(32, 0), uint64_t{1} << 40);
  ExpectFails(w.Serialize(), {"token_embd.weight", "runs past the end of the data section"});
  GgufWriter w2;
  w2.AddTensorRaw("output.weight", 0, {8}, std::vector<uint8_t>(32, 0), 1024);
  auto b2 = w2.Serialize();
  b2.resize(b2.size() - 1024);  // drop the data the offset points to
  ExpectFails(b2, {"output.weight", "runs past the end of the data section"});
}

TEST_F(GgufHostile, BadAlignment) {
  GgufWriter w;
  w.Add("general.alignment", MetaValue::Int(VT::kUint32, 3));
  ExpectFails(w.Serialize(), {"general.alignment", "not a power of two"});
  GgufWriter w0;
  w0.Add("general.alignment", MetaValue::Int(VT::kUint32, 0));
  ExpectFails(w0.Serialize(), {"general.alignment", "power of two"});
  GgufWriter wt;
  wt.Add("general.alignment", MetaValue::Str("32"));
  ExpectFails(wt.Serialize(), {"general.alignment", "uint32"});
  // A tensor offset that is not a multiple of the alignment.
  GgufWriter wo;
  wo.AddTensorRaw("x", 0, {4}, std::vector<uint8_t>(16, 0), 16);
  wo.AddTensorRaw("y", 0, {4}, std::vector<uint8_t>(16, 0), 0);
  ExpectFails(wo.Serialize(), {"tensor 'x'", "not a multiple of the alignment 32"});
}

TEST_F(GgufHostile, UnknownTypes) {
  GgufWriter w;
  w.AddTensorRaw("blk.0.ffn_up.weight", 99, {32}, std::vector<uint8_t>(32, 0));
  ExpectFails(w.Serialize(), {"blk.0.ffn_up.weight", "unknown ggml type id 99"});
  GgufWriter wr;
  wr.AddTensorRaw("q4_2", 4, {32}, std::vector<uint8_t>(32, 0));  // removed ggml type
  ExpectFails(wr.Serialize(), {"q4_2", "unknown ggml type id 4"});

  auto b = Valid().Serialize();
  // First kv value type sits after the counts and key "general.architecture" (8 + 20).
  Poke<uint32_t>(&b, 24 + 8 + 20, 13u);
  ExpectFails(b, {"general.architecture", "unknown value type 13"});
}

TEST_F(GgufHostile, DuplicatesAndMissing) {
  GgufWriter w;
  w.AddTensor("a.weight", GgmlType::F32, {4}, std::vector<float>(4, 1));
  w.AddTensor("a.weight", GgmlType::F32, {4}, std::vector<float>(4, 2));
  ExpectFails(w.Serialize(), {"a.weight", "duplicate tensor name"});

  GgufWriter wk;
  wk.Add("general.name", MetaValue::Str("x"));
  wk.Add("general.name", MetaValue::Str("y"));
  ExpectFails(wk.Serialize(), {"general.name", "duplicate key"});

  auto mf = ModelFile::Open(WriteBytes(Valid().Serialize(), "ok.gguf"));
  try {
    mf->Tensor("blk.7.attn_k.weight");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing tensor 'blk.7.attn_k.weight'"), std::string::npos);
  }
}

TEST_F(GgufHostile, BadShapes) {
  GgufWriter w;
  w.AddTensorRaw("five.dims", 0, {1, 1, 1, 1, 1}, std::vector<uint8_t>(4, 0));
  ExpectFails(w.Serialize(), {"five.dims", "5 dimensions"});
  GgufWriter wn;
  wn.AddTensorRaw("neg", 0, {-4}, {});
  ExpectFails(wn.Serialize(), {"neg", "negative dimension"});
  GgufWriter wb;
  wb.AddTensorRaw("odd.q4", static_cast<uint32_t>(GgmlType::Q4_0), {48}, std::vector<uint8_t>(64, 0));
  ExpectFails(wb.Serialize(), {"odd.q4", "not a multiple of the q4_0 block size 32"});
  GgufWriter wo;
  const int64_t big = int64_t{1} << 40;
  wo.AddTensorRaw("overflow", 0, {big, big, big}, {});
  ExpectFails(wo.Serialize(), {"overflow", "overflows"});
  GgufWriter wz;  // claims 2^31 f32 elements but has no data
  wz.AddTensorRaw("huge", 0, {int64_t{1} << 31}, {});
  ExpectFails(wz.Serialize(), {"huge", "past the end"});
}

TEST_F(GgufHostile, BadValues) {
  GgufWriter w;
  w.Add("b", MetaValue::Bool(true));
  auto b = w.Serialize();
  b[24 + 8 + 1 + 4] = 2;  // bool byte
  ExpectFails(b, {"key 'b'", "bool value 2"});

  // Arrays nested deeper than the limit.
  MetaValue v = MetaValue::IntArray(VT::kInt32, {1});
  for (int i = 0; i < kGgufMaxArrayDepth + 1; ++i) v = MetaValue::NestedArray(VT::kArray, {v});
  GgufWriter wd;
  wd.Add("deep", v);
  ExpectFails(wd.Serialize(), {"deep", "nested deeper"});
}

}  // namespace
}  // namespace bhasa::native
