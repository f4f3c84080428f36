// Python re.IGNORECASE reproduced for every case-insensitive scorer: the
// classes against the table Python itself wrote, and the issue's examples
// through answer extraction and the IFEval keyword checks.
#include "metrics/py_ignorecase.h"

#include <fstream>
#include <map>
#include <sstream>

#include <re2/re2.h>
#include <unicode/uchar.h>

#include <gtest/gtest.h>

#include "common/pystr.h"
#include "metrics/extract.h"
#include "metrics/ifeval_pyregex.h"
#include "metrics/ifeval_registry.h"
#include "metrics/langid.h"
#include "tests/test_support.h"

namespace bhasa::metrics {
namespace {

// tests/parity/py_ignorecase_classes.txt: "LITERAL: MEMBER MEMBER ..." in hex.
std::map<char32_t, std::u32string> PythonClasses() {
  const std::string path = testing::SourceDir() + "/tests/parity/py_ignorecase_classes.txt";
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::map<char32_t, std::u32string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string literal;
    fields >> literal;
    std::u32string cls;
    for (std::string hex; fields >> hex;) cls.push_back(static_cast<char32_t>(std::stoul(hex, nullptr, 16)));
    out[static_cast<char32_t>(std::stoul(literal, nullptr, 16))] = cls;
  }
  return out;
}

TEST(PyIgnoreCase, ClassesEqualThoseWrittenByPython) {
  const auto classes = PythonClasses();
  ASSERT_GT(classes.size(), 2000u);
  // Every other code point below U+20000 matches only itself (ICU may know
  // characters newer than Python's Unicode 14 table; none has a partner there).
  for (char32_t c = 0; c < 0x20000; ++c) {
    const auto it = classes.find(c);
    const std::u32string want = it == classes.end() ? std::u32string(1, c) : it->second;
    EXPECT_EQ(PyIgnoreCaseClass(c), want) << "U+" << std::hex << static_cast<unsigned>(c);
  }
}

TEST(PyIgnoreCase, DottedAndDotlessIMatchIButSharpSNeverMatchesSs) {
  EXPECT_EQ(PyIgnoreCaseClass(U'i'), U"I" U"i" U"\u0130" U"\u0131");
  // 'ß' is cased for sre (its uppercase starts with 'S') and matches only 'ẞ'.
  EXPECT_EQ(PyIgnoreCaseClass(U'\u00df'), U"\u00df\u1e9e");
  re2::RE2 hari(PyIgnoreCaseLiteral("hari"));
  ASSERT_TRUE(hari.ok()) << hari.error();
  EXPECT_TRUE(re2::RE2::FullMatch("HARİ", hari));
  EXPECT_TRUE(re2::RE2::FullMatch("harı", hari));
  EXPECT_FALSE(re2::RE2::FullMatch("hari ", hari));
  EXPECT_FALSE(PyRegex("stra\u00dfe", PyRegex::kIgnoreCase).Search("STRASSE"));
  EXPECT_TRUE(PyRegex("stra\u00dfe", PyRegex::kIgnoreCase).Search("STRA\u1e9eE"));
  // Known difference (docs/ifeval-mtbench.md): a backreference compares
  // case-sensitively; Python's re.IGNORECASE would find "aA".
  EXPECT_FALSE(PyRegex("(?P<x>a)(?P=x)", PyRegex::kIgnoreCase).Search("aA"));
  // Metacharacters and named groups survive the expansion.
  EXPECT_EQ(PyRegex(R"((?P<w>k)\.[a-c]+)", PyRegex::kIgnoreCase).FindAll("\u212a.ABc K.d"),
            (std::vector<std::string>{"\u212a.ABc"}));
}

TEST(PyIgnoreCase, VietnameseAnswerWithDottedCapitalI) {
  // SEA-HELM reads `CÂU TRẢ LỜİ: TÍCH CỰC` as "Tích cực".
  LabelExtractor ex("Câu trả lời:", {"Tích cực", "Tiêu cực", "Trung lập"});
  EXPECT_EQ(ex.Match("CÂU TRẢ LỜİ: TÍCH CỰC").value_or("<none>"), "TÍCH CỰC");
  EXPECT_FALSE(ex.Match("CÂU TRẢ LỜI TÍCH CỰC").has_value());
}

bool Check(IfevalFamily family, const std::string& id, const std::string& response, nlohmann::json kwargs,
           const std::string& lang) {
  static const auto detector = MakeCld2Detector();
  return RunIfevalCheck(family, id, IfevalCheckInput{response, lang, kwargs, detector.get(), "t"});
}

TEST(PyIgnoreCase, IfevalKeywordChecksFoldAsPython) {
  // `HARİ INI CERAH.` with forbidden word `hari` fails the instruction in SEA-HELM.
  EXPECT_FALSE(Check(IfevalFamily::kSea, "keywords:forbidden_words", "HARİ INI CERAH.",
                     {{"forbidden_words", {"hari"}}}, "id"));
  EXPECT_FALSE(Check(IfevalFamily::kEnglish, "keywords:forbidden_words", "HARİ INI CERAH.",
                     {{"forbidden_words", {"hari"}}}, "en"));
  EXPECT_TRUE(Check(IfevalFamily::kSea, "keywords:existence", "Bugün hava ılık", {{"keywords", {"ILIK"}}}, "id"));
  EXPECT_TRUE(Check(IfevalFamily::kSea, "keywords:frequency", "Strasse STRASSE stra\u00dfe",
                    {{"keyword", "strasse"}, {"relation", "exactly"}, {"frequency", 2}}, "id"));
  EXPECT_TRUE(Check(IfevalFamily::kEnglish, "keywords:frequency", "Stra\u00dfe strasse",
                    {{"keyword", "strasse"}, {"relation", "less than"}, {"frequency", 2}}, "en"));
}

}  // namespace
}  // namespace bhasa::metrics
