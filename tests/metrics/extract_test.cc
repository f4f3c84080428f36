// Answer extraction with Python `re` semantics (SPEC 7.0-7.2, 12).
#include "metrics/extract.h"

#include <re2/re2.h>

#include <gtest/gtest.h>

#include "common/jsonl.h"
#include "common/pystr.h"
#include "metrics/classification.h"
#include "metrics/scorer.h"

namespace bhasa::metrics {
namespace {

TEST(PyWhitespaceClass, MatchesPythonIsSpaceForEveryBmpCodePoint) {
  re2::RE2 re(std::string("^[") + kPyWhitespaceClass + "]$");
  ASSERT_TRUE(re.ok()) << re.error();
  for (char32_t c = 1; c < 0x10000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    std::string s;
    py::AppendUtf8(s, c);
    ASSERT_EQ(re2::RE2::FullMatch(s, re), py::IsSpace(c)) << "U+" << std::hex << static_cast<int>(c);
  }
  // Python's \s excludes U+200B (zero width space); RE2's own \s is ASCII only.
  EXPECT_FALSE(py::IsSpace(0x200B));
}

TEST(RestOfLineExtractor, SpecExamples) {
  RestOfLineExtractor ex("Jawaban:");
  EXPECT_EQ(ex.Extract("Jawaban: masa Neolitikum."), "masa Neolitikum.");
  EXPECT_EQ(ex.Extract("**Jawaban:**\n```\nabad ke-7\n```"), "abad ke-7");
  EXPECT_EQ(ex.Extract("  tanpa tag sama sekali  "), "tanpa tag sama sekali");
  EXPECT_EQ(ex.Extract("Jawaban:"), "");
  EXPECT_FALSE(ex.Match("jawaban: kecil").has_value());  // case-sensitive
}

TEST(RestOfLineExtractor, FirstLineOnlyAndUnicodeWhitespace) {
  RestOfLineExtractor ex("Terjemahan:");
  // U+3000 and U+00A0 are skipped like Python's \s; the capture stops at \n only.
  EXPECT_EQ(ex.Extract("Terjemahan:\u3000\u00a0 baris satu\r\nbaris dua"), "baris satu");
  // The first occurrence wins (re.search is leftmost).
  EXPECT_EQ(ex.Extract("Terjemahan: A\nTerjemahan: B"), "A");
  // `.` matches \r (only \n ends the line); strip() then removes it.
  EXPECT_EQ(*ex.Match("Terjemahan: x\ry\nz"), "x\ry");
  // U+200B is not whitespace for Python, so it is captured.
  EXPECT_EQ(*ex.Match("Terjemahan:\u200bx"), "\u200bx");
}

TEST(RestOfLineExtractor, EscapedTagEquivalentToRawForSeaHelmTags) {
  const char* tags[] = {"Jawaban:", "Jawapan:", "Câu trả lời:", "คำตอบ:", "பதில்:", "Sagot:", "အဖြေ-",
                        "ຄຳຕອບ:", "答案", "答案:", "Answer:", "ចម្លើយ៖", "Terjemahan:", "Bản dịch:", "คำแปล:",
                        "மொழிபெயர்ப்பு:", "Salin:", "ဘာသာပြန်ချက်-", "翻译：", "Rangkuman:", "บทสรุป:"};
  const char* responses[] = {"", "tanpa tag", "X\n\n  isi jawaban\nlain", "`*` isi", "X", "X  "};
  for (const char* tag : tags) {
    re2::RE2 raw(std::string(tag) + "[" + kPyWhitespaceClass + "`*]*(.*)");
    ASSERT_TRUE(raw.ok()) << tag;
    RestOfLineExtractor ex(tag);
    for (const char* r : responses) {
      std::string text = std::string("pre ") + tag + r;
      std::string g;
      ASSERT_TRUE(re2::RE2::PartialMatch(text, raw, &g));
      ASSERT_EQ(ex.Match(text).value_or("<none>"), g) << tag << " | " << r;
    }
  }
}

// The scan that stands in for the regex on valid UTF-8 agrees with the
// pattern on every character of \s, on `*, on repeated and empty tags, and
// (through the regex itself) on invalid bytes before or after the tag.
TEST(RestOfLineExtractor, ScanAgreesWithThePattern) {
  std::vector<std::string> suffixes = {"", "\n", "\r\n x", "`*`\n\n**y** z\nw", "\u200b v", "Jawaban: twice",
                                       "\xff after", " a\xc3", "\xe2\x80 cut"};
  for (char32_t c = 0; c < 0x3001; ++c) {
    if (!py::IsSpace(c) && c != 'a' && c != 0x200B) continue;
    std::string s;
    py::AppendUtf8(s, c);
    suffixes.push_back(s + "`" + s + "end" + s);
  }
  for (const std::string tag : {"Jawaban:", ""}) {
    re2::RE2 raw(re2::RE2::QuoteMeta(tag) + "[" + kPyWhitespaceClass + "`*]*(.*)");
    ASSERT_TRUE(raw.ok());
    RestOfLineExtractor ex(tag);
    for (const std::string prefix : {"", "pre ", "\xfe ", "Jawaban"}) {
      for (const auto& suffix : suffixes) {
        const std::string text = prefix + tag + suffix;
        std::string g;
        const bool found = re2::RE2::PartialMatch(text, raw, &g);
        EXPECT_EQ(ex.Match(text).value_or("<none>"), found ? g : "<none>") << DumpJson(nlohmann::json(text));
      }
    }
  }
}

// The label path of F1AccMetric end to end: extract, normalize, look up.
std::string MapLabel(const std::string& tag, const std::vector<std::string>& labels, const std::string& response) {
  LabelExtractor ex(tag, labels);
  std::string norm = NormalizeLabelAnswer(ex.Extract(response));
  for (const auto& l : labels)
    if (py::Lower(l) == norm) return l;
  return "null";
}

TEST(LabelExtractor, SpecTableRows) {
  const std::vector<std::string> sent = {"Positif", "Negatif", "Netral"};
  const std::vector<std::string> abc = {"A", "B", "C"};
  EXPECT_EQ(MapLabel("Jawaban:", sent, "**Jawaban:** negatif"), "Negatif");
  EXPECT_EQ(MapLabel("Jawaban:", sent, "Jawaban: `Positif`"), "null");
  EXPECT_EQ(MapLabel("Jawaban:", sent, "Jawaban : Positif"), "null");
  EXPECT_EQ(MapLabel("Jawaban:", sent, "Sentimennya positif. Jawaban: Netral"), "Netral");
  EXPECT_EQ(MapLabel("Jawaban:", abc, "jawaban:\n\n  B) karena ..."), "B");
  EXPECT_EQ(MapLabel("Jawaban:", abc, "Jawaban: (B)"), "null");
  EXPECT_EQ(MapLabel("คำตอบ:", {"Y", "N"}, "คำตอบ: No"), "N");
  EXPECT_EQ(MapLabel("Câu trả lời:", {"Tích cực", "Tiêu cực", "Trung lập"}, "Câu trả lời: TIÊU CỰC"), "Tiêu cực");
  EXPECT_EQ(MapLabel("Câu trả lời:", {"Sạch", "Công kích", "Thù ghét"}, "câu trả lời: Công kích và thù ghét"),
            "Công kích");
}

TEST(LabelExtractor, QuirkQ1LastRepetitionAndNoWordBoundary) {
  const std::vector<std::string> abc = {"A", "B", "C"};
  LabelExtractor ex("Jawaban:", abc);
  EXPECT_EQ(*ex.Match("Jawaban: Cabang"), "a");  // C, a, b, a: the last repetition
  EXPECT_EQ(MapLabel("Jawaban:", abc, "Jawaban: Cabang"), "A");
  EXPECT_EQ(MapLabel("Jawaban:", abc, "Jawaban: ANSWER\nJawaban: B"), "A");
  EXPECT_EQ(MapLabel("Jawaban:", {"Positif", "Negatif", "Netral"}, "Jawaban: Positifnya"), "Positif");
  // Without any tag, the whole response is normalized: "Netral." still maps.
  EXPECT_EQ(MapLabel("Jawaban:", {"Positif", "Negatif", "Netral"}, "Netral."), "Netral");
}

TEST(LabelExtractor, EscapingIsEquivalentForSeaHelmLabels) {
  const std::vector<std::vector<std::string>> sets = {
      {"Positif", "Negatif", "Netral"}, {"Tích cực", "Tiêu cực", "Trung lập"}, {"แง่บวก", "แง่ลบ", "เฉยๆ"},
      {"நேர்மறை", "எதிர்மறை"},           {"အပြုသဘော", "အပျက်သဘော", "ကြားနေ"}, {"ແງ່ບວກ", "ແງ່ລົບ"},
      {"Y", "N"},                        {"က", "ခ", "ဂ", "ဃ"},               {"A", "B", "C", "D"}};
  const char* tails[] = {" a", "** b", " N", "\n\n c d", " Tiêu cực", " แง่ลบ", " ခ", " ແງ່ລົບ", "`A`"};
  for (const auto& labels : sets) {
    std::string alt;
    for (const auto& l : labels) alt += (alt.empty() ? "" : "|") + l;
    re2::RE2::Options o;
    o.set_case_sensitive(false);
    re2::RE2 raw(std::string("Jawaban:[") + kPyWhitespaceClass + "\\*]*(" + alt + ")+", o);
    ASSERT_TRUE(raw.ok());
    LabelExtractor ex("Jawaban:", labels);
    for (const char* t : tails) {
      std::string text = std::string("x Jawaban:") + t;
      std::string g;
      std::string expect = re2::RE2::PartialMatch(text, raw, &g) ? g : "<none>";
      EXPECT_EQ(ex.Match(text).value_or("<none>"), expect) << alt << " | " << t;
    }
  }
}

TEST(LabelExtractor, MetacharactersAreLiteral) {
  LabelExtractor ex("Ans(1):", {"a.b", "c+"});
  EXPECT_EQ(*ex.Match("Ans(1): a.b"), "a.b");
  EXPECT_FALSE(ex.Match("Ans1: a.b").has_value());
  EXPECT_FALSE(ex.Match("Ans(1): axb").has_value());
}

TEST(StripThinking, KeepsTextAfterLastMarker) {
  EXPECT_EQ(StripThinking("<think>a</think>b</think>  Jawaban: A \n"), "Jawaban: A");
  EXPECT_EQ(StripThinking("no marker "), "no marker ");
  ScoreItem item;
  item.responses = {"<think>x</think> Jawaban: B", "turn 2"};
  ScoreOptions opts;
  EXPECT_EQ(FirstTurn(item, opts), "<think>x</think> Jawaban: B");
  opts.options["strip_thinking"] = true;
  EXPECT_EQ(FirstTurn(item, opts), "Jawaban: B");
}

}  // namespace
}  // namespace bhasa::metrics
