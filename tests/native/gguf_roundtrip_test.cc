// GgufWriter → ReadGguf round trips: random metadata of every value type
// (nested arrays included) and random tensors of every supported type.
#include <random>

#include <gtest/gtest.h>

#include "backends/native/gguf_reader.h"
#include "backends/native/gguf_writer.h"
#include "backends/native/model_file.h"
#include "common/error.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

using VT = GgufValueType;

MetaValue RandomScalar(std::mt19937& rng, VT t) {
  std::uniform_int_distribution<int64_t> any(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  int64_t r = any(rng);
  switch (t) {
    case VT::kUint8: return MetaValue::Int(t, static_cast<uint8_t>(r));
    case VT::kInt8: return MetaValue::Int(t, static_cast<int8_t>(r));
    case VT::kUint16: return MetaValue::Int(t, static_cast<uint16_t>(r));
    case VT::kInt16: return MetaValue::Int(t, static_cast<int16_t>(r));
    case VT::kUint32: return MetaValue::Int(t, static_cast<uint32_t>(r));
    case VT::kInt32: return MetaValue::Int(t, static_cast<int32_t>(r));
    case VT::kUint64: return MetaValue::Int(t, r);  // bit pattern kept
    case VT::kInt64: return MetaValue::Int(t, r);
    case VT::kFloat32: return MetaValue::Float(t, static_cast<float>(r % 100000) / 7.0f);
    case VT::kFloat64: return MetaValue::Float(t, static_cast<double>(r) / 3.0);
    case VT::kBool: return MetaValue::Bool(r & 1);
    case VT::kString: {
      std::string s(static_cast<size_t>(r & 31), 'a');
      for (auto& c : s) c = static_cast<char>(rng());  // arbitrary bytes, NULs included
      return MetaValue::Str(s);
    }
    default: return MetaValue::Int(VT::kInt64, 0);
  }
}

MetaValue RandomArray(std::mt19937& rng, VT elem, int depth) {
  const size_t n = rng() % 6;
  if (elem == VT::kString) {
    std::vector<std::string> v;
    for (size_t i = 0; i < n; ++i) v.push_back(std::get<std::string>(RandomScalar(rng, VT::kString).value));
    return MetaValue::StrArray(v);
  }
  if (elem == VT::kFloat32 || elem == VT::kFloat64) {
    std::vector<double> v;
    for (size_t i = 0; i < n; ++i) v.push_back(std::get<double>(RandomScalar(rng, elem).value));
    return MetaValue::FloatArray(elem, v);
  }
  if (elem == VT::kArray) {
    std::vector<MetaValue> v;
    for (size_t i = 0; i < n; ++i)
      v.push_back(RandomArray(rng, depth < 2 ? static_cast<VT>(rng() % 13) : VT::kInt32, depth + 1));
    return MetaValue::NestedArray(elem, v);
  }
  std::vector<int64_t> v;
  for (size_t i = 0; i < n; ++i) {
    MetaValue s = RandomScalar(rng, elem);
    v.push_back(elem == VT::kBool ? int64_t(std::get<bool>(s.value)) : std::get<int64_t>(s.value));
  }
  return MetaValue::IntArray(elem, v);
}

TEST(GgufRoundTrip, RandomFilesAllValueTypes) {
  const std::string dir = bhasa::testing::TempDir("gguf_rt");
  const GgmlType types[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0,
                            GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q2_K, GgmlType::Q3_K,
                            GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const uint32_t alignment = seed % 2 ? 32 : 64;
    GgufWriter w(alignment);
    std::map<std::string, MetaValue> want;
    for (int t = 0; t <= 12; ++t) {
      const VT vt = static_cast<VT>(t);
      MetaValue v = vt == VT::kArray ? RandomArray(rng, static_cast<VT>(rng() % 13), 0) : RandomScalar(rng, vt);
      const std::string key = "test.key" + std::to_string(t);
      w.Add(key, v);
      want[key] = v;
    }
    std::map<std::string, std::vector<float>> values;
    for (int i = 0; i < 4; ++i) {
      const GgmlType t = types[rng() % std::size(types)];
      const int64_t cols = Traits(t).block_size * (1 + rng() % 3), rows = 1 + rng() % 4;
      std::vector<float> v(cols * rows);
      std::normal_distribution<float> nd;
      for (auto& x : v) x = nd(rng);
      const std::string name = "t" + std::to_string(i) + "." + TypeName(t);
      w.AddTensor(name, t, {cols, rows}, v);
      // What the reader must give back: the quantized-then-dequantized values.
      std::vector<uint8_t> q(RowBytes(t, cols));
      for (int64_t r = 0; r < rows; ++r) {
        QuantizeRow(t, v.data() + r * cols, q.data(), cols);
        DequantizeRow(t, q.data(), v.data() + r * cols, cols);
      }
      values[name] = v;
    }
    const std::string path = dir + "/rt" + std::to_string(seed) + ".gguf";
    w.Write(path);
    auto mf = ModelFile::Open(path);
    EXPECT_EQ(mf->gguf_version(), 3u);
    for (const auto& [k, v] : want) EXPECT_EQ(mf->Get(k), v) << k;
    if (alignment != 32) {
      EXPECT_EQ(mf->GetInt("general.alignment"), alignment);
    }
    ASSERT_EQ(mf->tensors().size(), values.size());
    for (const auto& t : mf->tensors()) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % alignment, 0u) << t.name;  // mmap is page aligned
      EXPECT_EQ(t.Dequantize(), values.at(t.name)) << t.name;
    }
  }
}

TEST(GgufRoundTrip, TypedAccessors) {
  GgufWriter w;
  w.Add("a.u32", MetaValue::Int(VT::kUint32, 7));
  w.Add("a.f32", MetaValue::Float(VT::kFloat32, 0.5));
  w.Add("a.s", MetaValue::Str("llama"));
  w.Add("a.b", MetaValue::Bool(true));
  w.Add("a.sa", MetaValue::StrArray({"x", "y"}));
  w.Add("a.ia", MetaValue::IntArray(VT::kInt32, {1, -2, 3}));
  w.Add("a.fa", MetaValue::FloatArray(VT::kFloat32, {0.25, -1.5}));
  const std::string path = bhasa::testing::TempDir("gguf_acc") + "/a.gguf";
  w.Write(path);
  auto mf = ModelFile::Open(path);
  EXPECT_EQ(mf->GetInt("a.u32"), 7);
  EXPECT_EQ(mf->GetInt("missing", 42), 42);
  EXPECT_DOUBLE_EQ(mf->GetFloat("a.f32"), 0.5);
  EXPECT_DOUBLE_EQ(mf->GetFloat("a.u32"), 7.0);
  EXPECT_EQ(mf->GetString("a.s"), "llama");
  EXPECT_EQ(mf->GetString("nope", "dflt"), "dflt");
  EXPECT_TRUE(mf->GetBool("a.b"));
  EXPECT_EQ(mf->GetStringArray("a.sa"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(mf->GetIntArray("a.ia"), (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(mf->GetFloatArray("a.fa"), (std::vector<float>{0.25f, -1.5f}));
  EXPECT_THROW(mf->GetInt("a.s"), Error);
  EXPECT_THROW(mf->GetString("a.u32", "x"), Error);  // wrong type is an error even with a fallback
  EXPECT_THROW(mf->GetStringArray("a.ia"), Error);
  try {
    mf->GetInt("llama.block_count");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("llama.block_count"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
}

}  // namespace
}  // namespace bhasa::native
