// PyRegex, the Python-`re` helpers and the json.loads acceptance test.
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "metrics/ifeval_pyjson.h"
#include "metrics/ifeval_pyregex.h"
#include "metrics/ifeval_pytext.h"

namespace bhasa::metrics {
namespace {

TEST(IfevalPyText, WordChars) {
  EXPECT_TRUE(IsPyWordChar(U'a'));
  EXPECT_TRUE(IsPyWordChar(U'_'));
  EXPECT_TRUE(IsPyWordChar(U'\u0E51'));   // Thai digit one (Nd)
  EXPECT_TRUE(IsPyWordChar(U'\u00B2'));   // superscript two (No)
  EXPECT_TRUE(IsPyWordChar(U'\u0E01'));   // Thai ko kai (Lo)
  EXPECT_FALSE(IsPyWordChar(U'\u0BCD'));  // Tamil virama (Mn)
  EXPECT_FALSE(IsPyWordChar(U'\u0BBF'));  // Tamil vowel sign i (Mc)
  EXPECT_FALSE(IsPyWordChar(U'\u0E31'));  // Thai mai han-akat (Mn)
  EXPECT_FALSE(IsPyWordChar(U'-'));
  EXPECT_EQ(CountPyWords("state-of-the-art AI's"), 6u);
  EXPECT_EQ(CountPyWords("தமிழ் மொழி"), 4u);
  EXPECT_EQ(CountPyWords(""), 0u);
  EXPECT_TRUE(PyIsUpper("HELLO 123"));
  EXPECT_FALSE(PyIsUpper("123"));
  EXPECT_FALSE(PyIsUpper("HELLo"));
  EXPECT_TRUE(PyIsLower("hello ß"));
  EXPECT_EQ(PyInt(nlohmann::json(" 7 "), "k"), 7);
  EXPECT_EQ(PyInt(nlohmann::json(3.9), "k"), 3);
  EXPECT_THROW(PyInt(nlohmann::json("3.5"), "k"), Error);
}

TEST(IfevalPyRegex, UnicodeClassesAndBoundaries) {
  EXPECT_TRUE(PyRegex(R"(\bcó\b)", PyRegex::kIgnoreCase).Search("Tôi CÓ mèo"));
  EXPECT_FALSE(PyRegex(R"(\bcó\b)").Search("cóc"));
  EXPECT_EQ(PyRegex(R"(\w+)").Count("தமிழ் மொழி"), 4u);
  EXPECT_EQ(PyRegex(R"(\d+)").Count("๑๒ and 34"), 2u);
  EXPECT_TRUE(PyRegex(R"(a\sb)").Search("a\u3000b"));
  EXPECT_FALSE(PyRegex(R"(a\sb)").Search("a\u200Bb"));  // zero-width space is not \s
  EXPECT_TRUE(PyRegex(R"(a\sb)").Search("a\x1c" "b"));
}

TEST(IfevalPyRegex, PythonSyntaxQuirks) {
  EXPECT_TRUE(PyRegex("a{b").Search("xa{b"));          // '{' not a quantifier is literal
  EXPECT_TRUE(PyRegex("a{,2}c").Search("aac"));          // {,n}
  EXPECT_TRUE(PyRegex("[[]").Search("["));               // '[' inside a class is literal
  EXPECT_TRUE(PyRegex("[&&a]").Search("&"));
  EXPECT_TRUE(PyRegex(R"([\d|\w]+)").Search("|"));
  EXPECT_TRUE(PyRegex("[]a]").Search("]"));
  EXPECT_TRUE(PyRegex(R"((?P<x>a)(?P=x))").Search("aa"));
  EXPECT_FALSE(PyRegex(R"(a\Z)").Search("a\n"));          // \Z is the absolute end
  EXPECT_TRUE(PyRegex("a$").Search("a\n"));               // $ before a final newline
  EXPECT_FALSE(PyRegex("a.b").Search("a\nb"));
  EXPECT_TRUE(PyRegex("a.b").Search("a\rb"));             // only \n ends a line
  EXPECT_TRUE(PyRegex("a.b", PyRegex::kDotAll).Search("a\nb"));
  EXPECT_EQ(PyRegex("^x", PyRegex::kMultiline).Count("x\nx\r\nx"), 3u);
  EXPECT_THROW(PyRegex("(a"), Error);
  EXPECT_THROW(PyRegex("[a"), Error);
  EXPECT_THROW(PyRegex("a\\"), Error);
}

TEST(IfevalPyRegex, FindAllAndSplit) {
  EXPECT_EQ(PyRegex(R"(\[.*?\])").FindAll("[a] [b\nc] []"), (std::vector<std::string>{"[a]", "[]"}));
  EXPECT_EQ(PyRegex(R"(\s?\*\*\*\s?)").Split("a *** b***c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(PyRegex("(-)").Split("a-b"), (std::vector<std::string>{"a", "-", "b"}));
  EXPECT_EQ(PyRegex("x").Split(""), (std::vector<std::string>{""}));
  EXPECT_EQ(PyRegex("3").Count("3, 13, 33, 2023"), 5u);
}

TEST(IfevalPyText, CountPyWordsTreatsBadBytesAsSeparators) {
  EXPECT_EQ(CountPyWords("ab\xff" "cd"), 2u);
  EXPECT_EQ(CountPyWords("ab\xe0\xb8" "cd"), 2u);      // a truncated sequence
  EXPECT_EQ(CountPyWords("\xed\xa0\x80x"), 1u);       // a surrogate is not a letter
  EXPECT_EQ(CountPyWords("x\xc3"), 1u);
}

// Each thread reuses its matcher and its recent UTF-16 conversions; results
// must not depend on what the thread matched before, nor on other threads.
TEST(IfevalPyRegex, ReusedMatchersAndConversionsGiveFreshResults) {
  const PyRegex word(R"(\bkata\b)", PyRegex::kIgnoreCase | PyRegex::kIcuOnly);
  std::vector<std::string> texts;
  for (int i = 0; i < 40; ++i) texts.push_back(std::string(i, 'x') + (i % 3 ? " KATA " : " katak ") + std::to_string(i));
  auto check_all = [&] {
    int wrong = 0;
    for (int round = 0; round < 3; ++round)
      for (size_t i = 0; i < texts.size(); ++i) {
        wrong += word.Search(texts[i]) != (i % 3 != 0);
        wrong += word.Count(texts[i]) != (i % 3 ? 1u : 0u);
        wrong += PyRegex::Cached(R"(\d+)").FindAll(texts[i]).at(0) != std::to_string(i);
      }
    return wrong;
  };
  std::vector<int> wrong(4);
  std::vector<std::thread> threads;
  for (int& w : wrong) threads.emplace_back([&w, &check_all] { w = check_all(); });
  for (auto& t : threads) t.join();
  for (int w : wrong) EXPECT_EQ(w, 0);
  // ASCII and non-ASCII texts convert alike (offsets in Split, \b next to a mark).
  EXPECT_EQ(PyRegex(R"(\s?\*\*\*\s?)").Split("one long ascii paragraph\n***\ntwo"),
            (std::vector<std::string>{"one long ascii paragraph", "two"}));
  EXPECT_EQ(PyRegex(R"(\s?\*\*\*\s?)").Split("ย่อหน้าแรก\n***\nสอง"), (std::vector<std::string>{"ย่อหน้าแรก", "สอง"}));
  // A text equal in content but at another address, and an edited buffer.
  std::string buf = "kata";
  EXPECT_TRUE(word.Search(buf));
  buf[0] = 'b';
  EXPECT_FALSE(word.Search(buf));
}

TEST(IfevalPyJson, PythonAcceptance) {
  for (const char* ok : {"{}", "[]", "1", "-0.5e+3", "\"s\"", "NaN", "-Infinity", "Infinity", "null", " true ",
                         "{\"a\": 1, \"a\": 2}", "[1, [2, {\"b\": \"\\u00e9\\n\"}]]", "\"\xE0\xB8\x81\""})
    EXPECT_TRUE(PyJsonLoads(ok)) << ok;
  for (const char* bad : {"", "{", "[1,]", "{'a': 1}", "01", "1.", ".5", "\"a\nb\"", "\"\\x\"", "nan", "1 2",
                          "\xEF\xBB\xBF{}", "{\"a\" 1}", "\v1", "+1", "\"abc"})
    EXPECT_FALSE(PyJsonLoads(bad)) << bad;
}

}  // namespace
}  // namespace bhasa::metrics
