#include "common/jsonl.h"

#include <cmath>
#include <fstream>
#include <functional>
#include <random>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

std::string Write(const std::string& dir, const std::string& name, const std::string& body) {
  std::string p = dir + "/" + name;
  std::ofstream(p, std::ios::binary) << body;
  return p;
}

TEST(Jsonl, ReadsObjectsSkippingBlankLines) {
  auto dir = testing::TempDir("jsonl");
  auto p = Write(dir, "a.jsonl", "{\"a\":1}\n\n{\"a\":2}\r\n");
  auto rows = ReadJsonlAll(p);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1]["a"], 2);
}

TEST(Jsonl, MalformedLineNamesFileAndLine) {
  auto dir = testing::TempDir("jsonl");
  auto p = Write(dir, "bad.jsonl", "{\"a\":1}\n{\"a\":\n");
  try {
    ReadJsonlAll(p);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2"), std::string::npos) << e.what();
  }
  auto q = Write(dir, "arr.jsonl", "[1,2]\n");
  EXPECT_THROW(ReadJsonlAll(q), Error);
  EXPECT_THROW(ReadJsonlAll(dir + "/missing.jsonl"), Error);
}

TEST(Jsonl, JournalReaderToleratesOnlyATornLastLine) {
  auto dir = testing::TempDir("jsonl");
  auto p = Write(dir, "j.jsonl", "{\"a\":1}\n{\"a\":2");
  bool torn = false;
  int n = 0;
  ReadJournalLines(p, [&](nlohmann::json&, long) { ++n; }, &torn);
  EXPECT_EQ(n, 1);
  EXPECT_TRUE(torn);
  auto q = Write(dir, "k.jsonl", "{\"a\":\n{\"a\":2}\n");
  EXPECT_THROW(ReadJournalLines(q, [](nlohmann::json&, long) {}), Error);
}

TEST(Jsonl, AppenderStartsANewLineAfterATornTail) {
  auto dir = testing::TempDir("jsonl");
  auto p = Write(dir, "j.jsonl", "{\"a\":1}\n{\"a\":");
  {
    JsonlAppender app(p);
    app.Append({{"a", 3}});
  }
  bool torn = true;
  std::vector<int> seen;
  // The torn line is now terminated, so it reads as malformed in the middle: the
  // journal reader reports it as an error rather than silently merging records.
  EXPECT_THROW(ReadJournalLines(p, [&](nlohmann::json& j, long) { seen.push_back(j["a"]); }, &torn), Error);
  EXPECT_NE(ReadFile(p).find("\n{\"a\":3}\n"), std::string::npos);
}

TEST(Jsonl, DumpReplacesInvalidUtf8) {
  nlohmann::json j = {{"t", std::string("a\xff")}};
  EXPECT_NO_THROW(DumpJson(j));
}

// Lines go through simdjson when it accepts them and nlohmann otherwise: the
// tree, number types included, is nlohmann's either way, and so are errors.
TEST(Jsonl, ParsedLinesEqualNlohmannsTrees) {
  const std::string deep = std::string(2000, '[') + std::string(2000, ']');
  const std::vector<std::string> lines = {
      R"({"a": 0, "b": -0, "c": 5, "d": -5, "e": 18446744073709551615, "f": 18446744073709551616})",
      R"({"g": 1.0, "h": -0.0, "i": 1e2, "j": 0.1, "l": 2.2250738585072014e-308})",
      R"({"s": "\u00e9\ud83d\ude00\n\"\\\/", "t": "\u0000", "u": true, "v": null, "w": [], "x": {}})",
      R"({"dup": 1, "dup": 2, "nested": {"z": [1, "two", {"three": [false]}]}})",
      "\xef\xbb\xbf{\"bom\": 1}", "{\"deep\": " + deep + "}", "  {\"padded\": 1}  \t"};
  for (const auto& text : lines) {
    const nlohmann::json want = nlohmann::json::parse(text);
    const nlohmann::json got = ParseJsonlLine("f.jsonl", {text, 1});
    EXPECT_EQ(got, want) << text.substr(0, 80);
    EXPECT_EQ(DumpJson(got), DumpJson(want));
    // Parsed in place, with bytes after the line that would change it if read.
    const std::string followed = text + "]}\"{,\n" + std::string(kJsonlPadding, '}');
    EXPECT_EQ(ParseJsonlLine("f.jsonl", {std::string_view(followed).substr(0, text.size()), 1}, /*padded=*/true), want)
        << text.substr(0, 80);
    if (want.contains("c")) {
      // "b" (-0) is 0 either way; only its integer type differs (unsigned here).
      for (const char* k : {"a", "c", "d", "e", "f"}) EXPECT_EQ(got[k].type(), want[k].type()) << k;
      EXPECT_TRUE(got["c"].is_number_unsigned());
    }
  }
  for (const std::string bad : {R"({"a": "\ud800"})", R"({"a": "\udc00"})", "{\"a\": \"\xff\"}", "{\"a\": 01}", R"({"k": 1e400})", "[1]"}) {
    try {
      const std::string followed = bad + "\n" + std::string(kJsonlPadding, ' ');
      ParseJsonlLine("f.jsonl", {std::string_view(followed).substr(0, bad.size()), 7}, /*padded=*/true);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("f.jsonl:7"), std::string::npos) << e.what();
    }
  }
}

// A row appended two levels deep reads as it does inside a whole-tree dump.
TEST(Jsonl, AppendJsonNestsLikeAWholeDump) {
  const nlohmann::json row = {{"b", {1, 2}}, {"a", "x\xffy"}, {"c", {{"d", nlohmann::json::object()}}}};
  const nlohmann::json whole = {{"items", {row}}};
  std::string out = "{\n  \"items\": [\n    ";
  AppendJson(out, row, 2, 2);
  out += "\n  ]\n}";
  EXPECT_EQ(out, DumpJson(whole, 2));
  EXPECT_NE(out.find("x\xef\xbf\xbdy"), std::string::npos);  // U+FFFD for the invalid byte

  std::string flat = "[";
  AppendJson(flat, row, -1, 3);
  EXPECT_EQ(flat, "[" + DumpJson(row));
}

// Random trees (every value type; multi-byte, control and invalid bytes in
// keys and strings; empty containers; floats) read through AppendJson as
// through nlohmann's dump, compact and indented, at any nesting depth.
TEST(Jsonl, AppendJsonWritesWhatDumpWritesOnRandomTrees) {
  std::mt19937_64 rng(7);
  const std::vector<std::string> pool = {"", "a", "key", "x\"y\\z", "tab\tline\n", "\x01\x1f", "\xe0\xb8\x81\xc3\xa9",
                                         "bad \xff byte", "\xf0\x9f\x98\x80", "cut \xe0\xb8"};
  std::function<nlohmann::json(int)> make = [&](int level) -> nlohmann::json {
    switch (rng() % (level > 3 ? 6 : 8)) {
      case 0: return nullptr;
      case 1: return rng() % 2 == 0;
      case 2: return static_cast<int64_t>(rng());  // either sign, full range
      case 3: return static_cast<uint64_t>(rng());
      case 4: return std::ldexp(static_cast<double>(static_cast<int64_t>(rng() >> 11)) * 1e-3,
                                static_cast<int>(rng() % 200) - 100);
      case 5: return pool[rng() % pool.size()];
      case 6: {
        nlohmann::json a = nlohmann::json::array();
        for (int n = static_cast<int>(rng() % 5); n > 0; --n) a.push_back(make(level + 1));
        return a;
      }
      default: {
        nlohmann::json o = nlohmann::json::object();
        for (int n = static_cast<int>(rng() % 5); n > 0; --n) o[pool[rng() % pool.size()]] = make(level + 1);
        return o;
      }
    }
  };
  for (int trial = 0; trial < 2000; ++trial) {
    const nlohmann::json j = make(0);
    for (int indent : {-1, 0, 2, 4}) {
      const int depth = static_cast<int>(rng() % 4);
      std::string expected = DumpJson(j, indent);  // every line after the first moved right
      if (indent > 0)
        for (size_t at = 0; (at = expected.find('\n', at)) != std::string::npos; ++at)
          expected.insert(at + 1, static_cast<size_t>(depth * indent), ' ');
      std::string out = "prefix";
      AppendJson(out, j, indent, depth);
      ASSERT_EQ(out, "prefix" + expected) << "indent " << indent << ", depth " << depth;
    }
  }
}

// Every escape, multi-byte characters, DEL, and invalid bytes (replaced) as
// nlohmann writes them.
TEST(Jsonl, AppendJsonStringWritesWhatDumpWrites) {
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls += static_cast<char>(c);
  const std::vector<std::string> cases = {
      "", "plain", controls, "q\"b\\s/\x7f", "\xe0\xb8\x81\xe0\xb8\xb2 \xf0\x9f\x98\x80 \xc3\xa9",
      "bad \xff mid", "\xed\xa0\x80 surrogate", "\xc0\xaf overlong", "cut \xe0\xb8", "line\nnext\r\n\ttab"};
  for (const auto& s : cases) {
    std::string out = "x";
    AppendJsonString(out, s);
    EXPECT_EQ(out, "x" + DumpJson(nlohmann::json(s))) << DumpJson(nlohmann::json(s));
  }
  // Long runs with an escape anywhere: the eight-byte skip must stop at each.
  std::mt19937 rng(5);
  const std::vector<std::string> specials = {"\"", "\\", "\n", "\t", "\x01", "\x1f", "\x7f", " ", "\xc3\xa9"};
  for (int trial = 0; trial < 3000; ++trial) {
    std::string s;
    for (size_t n = rng() % 80; n > 0; --n)
      s += rng() % 10 ? std::string(1, static_cast<char>('a' + rng() % 26)) : specials[rng() % specials.size()];
    std::string out;
    AppendJsonString(out, s);
    ASSERT_EQ(out, DumpJson(nlohmann::json(s)));
  }
}

}  // namespace
}  // namespace bhasa
