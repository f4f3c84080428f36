// Hostile parquet files, derived deterministically from valid fixtures:
// every truncation, bit flips across the whole file, forged lengths and
// sizes, decompression bombs. Each must be a bhasa::Error naming the file
// (or read as some other valid file), never a crash or a huge allocation.
#include <cstring>
#include <string>

#include <gtest/gtest.h>
#include <zstd.h>

#include "common/error.h"
#include "common/fs.h"
#include "tasks/parquet/assembler.h"
#include "tasks/parquet/compression.h"
#include "tasks/parquet/parquet_file.h"
#include "tests/tasks/parquet_fixture.h"

namespace bhasa::tasks::parquet {
namespace {

constexpr const char* kName = "hostile.parquet";

// "" when the bytes parse; the Error's message otherwise. Any other
// exception fails the test.
std::string Outcome(std::string_view bytes) {
  try {
    ParseParquet(bytes, kName);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

void ExpectCleanFailure(std::string_view bytes, const std::string& what) {
  const std::string msg = Outcome(bytes);
  EXPECT_FALSE(msg.empty()) << what << " was accepted";
  EXPECT_EQ(msg.rfind(kName, 0), 0u) << what << ": message does not name the file: " << msg;
}

std::string PutU32(std::string s, size_t at, uint32_t v) {
  std::memcpy(s.data() + at, &v, 4);
  return s;
}

TEST(ParquetHostile, BadMagicAndTruncatedFooter) {
  BHASA_REQUIRE_PARQUET_FIXTURES(dir);
  const std::string good = ReadFile(dir + "/nested_snappy_v1_dict.parquet");
  ASSERT_EQ(Outcome(good), "");
  std::string bad = good;
  bad[0] = 'X';
  EXPECT_NE(Outcome(bad).find("bad magic"), std::string::npos);
  bad = good;
  bad[bad.size() - 1] = 'X';
  EXPECT_NE(Outcome(bad).find("bad magic"), std::string::npos);
  EXPECT_NE(Outcome(good.substr(0, 7)).find("too short"), std::string::npos);
  // The footer length points before the start of the file.
  EXPECT_NE(Outcome(PutU32(good, good.size() - 8, 0xfffffff0u)).find("footer length"), std::string::npos);
  // A shorter footer length cuts the Thrift structure.
  uint32_t len;
  std::memcpy(&len, good.data() + good.size() - 8, 4);
  ExpectCleanFailure(PutU32(good, good.size() - 8, len / 2), "half a footer");
}

TEST(ParquetHostile, EveryTruncationFailsCleanly) {
  BHASA_REQUIRE_PARQUET_FIXTURES(dir);
  const std::string good = ReadFile(dir + "/flat_gzip_v2_dict.parquet");
  for (size_t n = 0; n < good.size(); n += 1 + n / 64) ExpectCleanFailure(std::string_view(good).substr(0, n), "prefix of " + std::to_string(n));
  // Cutting the middle out and keeping the footer: offsets past the end.
  for (size_t cut = 8; cut < good.size() / 2; cut *= 2) {
    std::string s = good.substr(0, 4) + good.substr(4 + cut);
    ExpectCleanFailure(s, "middle cut of " + std::to_string(cut));
  }
}

// Flips one bit in each of ~1000 bytes spread over the file (a different bit
// per byte), every byte of the footer included: the result is an Error
// naming the file, or rows (a flip in a value can be valid data).
TEST(ParquetHostile, BitFlipsNeverCrash) {
  BHASA_REQUIRE_PARQUET_FIXTURES(dir);
  for (const char* f : {"nested_zstd_v2.parquet", "nested_snappy_v1_dict.parquet", "flat_delta_prefix_v2.parquet",
                        "nested_delta_v1.parquet", "flat_uncompressed_v2.parquet"}) {
    const std::string good = ReadFile(dir + "/" + f);
    int errors = 0;
    uint32_t footer;
    std::memcpy(&footer, good.data() + good.size() - 8, 4);
    const size_t footer_start = good.size() - 8 - footer, stride = 1 + footer_start / 600;
    for (size_t i = 0; i < good.size(); i += i >= footer_start ? 1 : stride) {
      std::string s = good;
      s[i] = static_cast<char>(s[i] ^ (1 << (i % 8)));
      const std::string msg = Outcome(s);
      if (!msg.empty()) {
        ++errors;
        ASSERT_EQ(msg.rfind(kName, 0), 0u) << f << " flip at " << i << ": " << msg;
      }
    }
    EXPECT_GT(errors, 0) << f;
  }
}

// Every 4-byte window set to a huge value: forged lengths, counts, sizes.
TEST(ParquetHostile, HugeLengthsAreRefusedBeforeAllocation) {
  BHASA_REQUIRE_PARQUET_FIXTURES(dir);
  const std::string good = ReadFile(dir + "/nested_gzip_v1.parquet");
  for (uint32_t huge : {0x7ffffff0u, 0xffffffffu})
    for (size_t i = 4; i + 4 <= good.size() - 8; i += 1 + good.size() / 800) Outcome(PutU32(good, i, huge));
}

TEST(ParquetHostile, DecompressionBombsStopAtTheDeclaredSize) {
  const std::string zeros(64 << 20, '\0');
  std::string packed(ZSTD_compressBound(zeros.size()), '\0');
  packed.resize(ZSTD_compress(packed.data(), packed.size(), zeros.data(), zeros.size(), 1));
  ASSERT_LT(packed.size(), 64u << 10);
  try {
    Decompress(Codec::kZstd, packed, 4096);
    FAIL() << "a 64 MiB frame inflated into 4 KiB";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("zstd"), std::string::npos) << e.what();
  }
  try {
    Decompress(Codec::kZstd, packed, kMaxPageBytes + 1);
    FAIL() << "a page over the size limit was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("over the limit"), std::string::npos) << e.what();
  }
}

TEST(ParquetHostile, LevelsInconsistentWithTheSchema) {
  Leaf leaf;
  leaf.path = "xs.list.item";
  leaf.type = PhysicalType::kInt32;
  leaf.max_def = 2;
  leaf.max_rep = 1;
  AssemblyStep list;
  list.enter = AssemblyStep::Enter::kKey;
  list.key = "xs";
  list.shape = AssemblyStep::Shape::kList;
  list.elements_from = 2;
  list.rep = 1;
  leaf.steps = {list, AssemblyStep{}};
  ColumnChunkData data;
  data.values.type = PhysicalType::kInt32;
  data.num_slots = 2;
  data.def = {2, 2};
  data.rep = {1, 0};  // a row cannot start with a repeated value
  data.values.ints = {1, 2};
  std::vector<nlohmann::json> rows(2, nlohmann::json::object());
  auto assemble = [&] { AssembleRows(std::span<const Leaf>(&leaf, 1), std::span<const ColumnChunkData>(&data, 1), rows); };
  EXPECT_THROW(assemble(), Error);
  data.rep = {0, 1};
  data.values.ints = {1};  // the levels place two values
  EXPECT_THROW(assemble(), Error);
  data.values.ints = {1, 2};
  data.def = {2};  // fewer levels than slots
  EXPECT_THROW(assemble(), Error);
}

// A large row group is assembled in parallel blocks when its levels are
// consistent; when they are not, the error is the serial assembly's.
TEST(ParquetHostile, BadLevelsDeepInALargeRowGroup) {
  Leaf leaf;
  leaf.path = "n";
  leaf.type = PhysicalType::kInt32;
  leaf.max_def = 1;
  leaf.steps = {AssemblyStep{}};
  leaf.steps[0].enter = AssemblyStep::Enter::kKey;
  leaf.steps[0].key = "n";
  leaf.steps[0].null_below = 1;
  constexpr size_t kRows = 10000;
  ColumnChunkData data;
  data.values.type = PhysicalType::kInt32;
  data.num_slots = kRows;
  data.def.assign(kRows, 1);
  data.def[7001] = 0;  // a null
  for (size_t i = 0; i < kRows; ++i)
    if (data.def[i]) data.values.ints.push_back(static_cast<int64_t>(i));
  std::vector<nlohmann::json> rows(kRows);
  AssembleRows(std::span<const Leaf>(&leaf, 1), std::span<const ColumnChunkData>(&data, 1), rows);
  EXPECT_EQ(rows[7000], nlohmann::json({{"n", 7000}}));
  EXPECT_EQ(rows[7001], nlohmann::json({{"n", nullptr}}));
  EXPECT_EQ(rows[9999], nlohmann::json({{"n", 9999}}));

  data.values.ints.pop_back();  // the levels now place one value more than there is
  try {
    AssembleRows(std::span<const Leaf>(&leaf, 1), std::span<const ColumnChunkData>(&data, 1), rows);
    FAIL() << "a missing value was not noticed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("column 'n': fewer values than definition levels say"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bhasa::tasks::parquet
