// The parquet reader against files written by arrow-rs: every compression,
// page version, encoding and nesting gives the rows the writer's own reader
// gives (parquet_fixtures/generate.cjs writes both).
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs.h"
#include "tasks/parquet/metadata.h"
#include "tasks/parquet/parquet_file.h"
#include "tests/tasks/parquet_fixture.h"

namespace bhasa::tasks::parquet {
namespace {

nlohmann::json LoadJson(const std::string& path) { return nlohmann::json::parse(ReadFile(path)); }

TEST(ParquetReader, EveryFixtureReadsAsTheWriterReadsIt) {
  BHASA_REQUIRE_PARQUET_FIXTURES(dir);
  const nlohmann::json manifest = LoadJson(dir + "/manifest.json");
  int compared = 0;
  for (const auto& entry : manifest) {
    const std::string file = dir + "/" + entry["file"].get<std::string>();
    if (!std::filesystem::exists(file + ".expected.json")) continue;
    SCOPED_TRACE(file);
    const nlohmann::json expected = LoadJson(file + ".expected.json");
    std::vector<nlohmann::json> rows;
    ASSERT_NO_THROW(rows = ReadParquetFile(file));
    ASSERT_EQ(rows.size(), expected.size());
    for (size_t i = 0; i < rows.size(); ++i)
      ASSERT_EQ(rows[i], expected[i]) << "row " << i << ": got " << rows[i].dump() << "\nwant " << expected[i].dump();
    ++compared;
  }
  EXPECT_GE(compared, 40);
}

// The fixtures really exercise what the reader claims: each codec and each
// value encoding appears in some column chunk's metadata. (arrow-rs writes
// RLE_DICTIONARY for both page versions; PLAIN_DICTIONARY data pages take
// the same decoder.)
TEST(ParquetReader, FixturesCoverEveryCodecAndEncoding) {
  BHASA_REQUIRE_PARQUET_FIXTURES(dir);
  std::set<Codec> codecs;
  std::set<Encoding> encodings;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".parquet") continue;
    const std::string bytes = ReadFile(e.path().string());
    uint32_t len;
    std::memcpy(&len, bytes.data() + bytes.size() - 8, 4);
    const FileMetaData md = ParseFileMetaData(std::string_view(bytes).substr(bytes.size() - 8 - len, len));
    for (const auto& g : md.row_groups)
      for (const auto& c : g.columns) {
        codecs.insert(c.codec);
        encodings.insert(c.encodings.begin(), c.encodings.end());
      }
  }
  for (Codec c : {Codec::kUncompressed, Codec::kSnappy, Codec::kGzip, Codec::kZstd})
    EXPECT_TRUE(codecs.count(c)) << "codec " << static_cast<int>(c);
  for (Encoding e : {Encoding::kPlain, Encoding::kRleDictionary, Encoding::kRle,
                     Encoding::kDeltaBinaryPacked, Encoding::kDeltaLengthByteArray, Encoding::kDeltaByteArray})
    EXPECT_TRUE(encodings.count(e)) << "encoding " << static_cast<int>(e);
}

TEST(ParquetReader, NestedValuesAreTheDatasetsShapes) {
  BHASA_REQUIRE_PARQUET_FIXTURES(dir);
  const auto rows = ReadParquetFile(dir + "/nested_zstd_v2_dict.parquet");
  ASSERT_GT(rows.size(), 3u);
  EXPECT_TRUE(rows[0]["ints"].is_null());                 // a null list
  EXPECT_EQ(rows[1]["ints"], nlohmann::json::array());     // an empty list
  EXPECT_EQ(rows[2]["prompts"][1]["text"], "prompt 2.1");  // a list of structs
  EXPECT_EQ(rows[2]["tags"], nlohmann::json::parse(R"([["k0",0],["k1",null]])"));  // a map
  EXPECT_EQ(rows[3]["point"]["x"], nullptr);               // a null inside a struct
  EXPECT_EQ(rows[2]["grid"], nlohmann::json::parse("[[20],[20,21]]"));
}

// Row groups of thousands of rows are assembled in parallel blocks; the rows
// must be the writer's, in order, across block edges.
TEST(ParquetReader, LargeRowGroupsReadAsTheWriterReadsThem) {
  BHASA_REQUIRE_PARQUET_FIXTURES(dir);
  for (const char* name : {"nested_big_row_group.parquet", "flat_big_row_group.parquet"}) {
    const std::string file = dir + "/" + name;
    SCOPED_TRACE(file);
    const FileMetaData md = ParseFileMetaData([&] {
      const std::string bytes = ReadFile(file);
      uint32_t len;
      std::memcpy(&len, bytes.data() + bytes.size() - 8, 4);
      return bytes.substr(bytes.size() - 8 - len, len);
    }());
    ASSERT_FALSE(md.row_groups.empty());
    EXPECT_GE(md.row_groups[0].num_rows, 5000);
    const nlohmann::json expected = LoadJson(file + ".expected.json");
    const auto rows = ReadParquetFile(file);
    ASSERT_EQ(rows.size(), expected.size());
    for (size_t i = 0; i < rows.size(); ++i) ASSERT_EQ(rows[i], expected[i]) << "row " << i;
  }
}

}  // namespace
}  // namespace bhasa::tasks::parquet
