#include "common/fs.h"

#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

TEST(ReadFile, ReturnsEveryByteOfLargeAndEmptyFiles) {
  const auto dir = testing::TempDir("fs");
  std::string body(3'000'001, '\0');  // past the 64 KiB blocks, every byte value
  std::mt19937 rng(1);
  for (auto& c : body) c = static_cast<char>(rng());
  const std::string big = dir + "/big.bin", empty = dir + "/empty.bin";
  std::ofstream(big, std::ios::binary) << body;
  std::ofstream(empty, std::ios::binary).flush();
  EXPECT_EQ(ReadFile(big), body);
  EXPECT_EQ(ReadFile(empty), "");
}

TEST(ReadFile, ReadsFilesWithoutASize) {
  // /proc files report size 0 yet have content: the block reads take it all.
  const std::string status = ReadFile("/proc/self/status");
  EXPECT_EQ(status.rfind("Name:", 0), 0u);
  EXPECT_NE(status.find("\nPid:"), std::string::npos);
}

TEST(ReadFile, NamesMissingFilesAndDirectories) {
  const auto dir = testing::TempDir("fs");
  try {
    ReadFile(dir + "/absent.jsonl");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("absent.jsonl: no such file"), std::string::npos);
  }
  EXPECT_THROW(ReadFile(dir), Error);
}

}  // namespace
}  // namespace bhasa
