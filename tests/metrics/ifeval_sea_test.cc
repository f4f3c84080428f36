// SEA-IFEval checkers: the spec's A.8 vectors plus a pass and a fail case for
// every instruction id.
#include <gtest/gtest.h>

#include "common/error.h"
#include "metrics/ifeval_registry.h"
#include "metrics/langid.h"

namespace bhasa::metrics {
namespace {

bool Check(const std::string& id, const std::string& response, nlohmann::json kwargs = nlohmann::json::object(),
           const std::string& lang = "en") {
  static const auto detector = MakeCld2Detector();
  return RunIfevalCheck(IfevalFamily::kSea, id, IfevalCheckInput{response, lang, kwargs, detector.get(), "t"});
}

TEST(IfevalSea, AllTwentyOneIdsRegistered) { EXPECT_EQ(IfevalChecks(IfevalFamily::kSea).Names().size(), 21u); }

// ---- A.8 vectors ----
TEST(IfevalSeaA8, NumberWordsTamilSplitsAtMarks) {
  EXPECT_FALSE(Check("length_constraints:number_words", "தமிழ் மொழி", {{"relation", "exactly"}, {"num_words", 2}}, "ta"));
  EXPECT_TRUE(Check("length_constraints:number_words", "தமிழ் மொழி", {{"relation", "exactly"}, {"num_words", 4}}, "ta"));
}
TEST(IfevalSeaA8, NumberWordsEnglishHyphens) {
  EXPECT_TRUE(Check("length_constraints:number_words", "state-of-the-art AI's", {{"relation", "exactly"}, {"num_words", 6}}));
}
TEST(IfevalSeaA8, NumberSentences) {
  EXPECT_TRUE(Check("length_constraints:number_sentences", "ประโยคหนึ่ง *** ประโยคสอง ***\n",
                    {{"relation", "exactly"}, {"num_sentences", 2}}, "th"));
  EXPECT_TRUE(Check("length_constraints:number_sentences", "***A***B******C***",
                    {{"relation", "exactly"}, {"num_sentences", 3}}));
}
TEST(IfevalSeaA8, NumberParagraphs) {
  EXPECT_TRUE(Check("length_constraints:number_paragraphs", "***\nP1\n***\nP2\n***", {{"num_paragraphs", 2}}));
}
TEST(IfevalSeaA8, Placeholders) {
  const std::string r = "[name] [] [ ] [[x]] [a\nb]";
  EXPECT_TRUE(Check("detectable_content:number_placeholders", r, {{"num_placeholders", 2}}));
  EXPECT_FALSE(Check("detectable_content:number_placeholders", r, {{"num_placeholders", 3}}));
}
TEST(IfevalSeaA8, Postscript) {
  EXPECT_TRUE(Check("detectable_content:postscript", "Body\n\nP. S. thanks", {{"postscript_marker", "P.S."}}));
  EXPECT_FALSE(Check("detectable_content:postscript", "Body\nP.P.S thanks", {{"postscript_marker", "P.P.S."}}));
}
TEST(IfevalSeaA8, Highlighted) {
  const std::string r = "**bold** and *it* and ** **";
  EXPECT_TRUE(Check("detectable_format:number_highlighted_sections", r, {{"num_highlights", 2}}));
  EXPECT_FALSE(Check("detectable_format:number_highlighted_sections", r, {{"num_highlights", 3}}));
}
TEST(IfevalSeaA8, Bullets) {
  EXPECT_TRUE(Check("detectable_format:number_bullet_lists", "* a\n- b\n-c\n*  d\n* **e**\n  - f", {{"num_bullets", 4}}));
}
TEST(IfevalSeaA8, MultipleSections) {
  EXPECT_TRUE(Check("detectable_format:multiple_sections", "SECTION 1\nx\nSECTION A\ny\nSECTION2",
                    {{"section_title", "SECTION"}, {"num_sections", 2}}));
}
TEST(IfevalSeaA8, Json) {
  EXPECT_TRUE(Check("detectable_format:json_format", "```json\n{\"a\": 1}\n```"));
  EXPECT_FALSE(Check("detectable_format:json_format", "Here: {\"a\": 1}"));
  EXPECT_TRUE(Check("detectable_format:json_format", "NaN"));
}
TEST(IfevalSeaA8, Constrained) {
  EXPECT_TRUE(Check("detectable_format:constrained_response", "I think... My answer is yes."));
  EXPECT_FALSE(Check("detectable_format:constrained_response", "my answer is yes."));
}
TEST(IfevalSeaA8, Title) { EXPECT_TRUE(Check("detectable_format:title", "<<  >> and <<Poem>>")); }
TEST(IfevalSeaA8, FirstWord) { EXPECT_TRUE(Check("startend:first_word", "  Tweets are fun", {{"first_word", "tweet"}})); }
TEST(IfevalSeaA8, EndCheckerKeepsQuotes) {
  EXPECT_FALSE(Check("startend:end_checker", "...Is there anything else I can help with?\"",
                     {{"end_phrase", "Is there anything else I can help with?"}}));
}
TEST(IfevalSeaA8, Quotation) {
  EXPECT_FALSE(Check("startend:quotation", "\"\""));
  EXPECT_TRUE(Check("startend:quotation", " \"hi\" "));
}
TEST(IfevalSeaA8, Existence) {
  EXPECT_TRUE(Check("keywords:existence", "Economist Bill and JURGEN", {{"keywords", {"bill", "economist", "jurgen"}}}));
  EXPECT_FALSE(Check("keywords:existence", "Economists and Bills", {{"keywords", {"bill"}}}));
  EXPECT_FALSE(Check("keywords:existence", "Bill", {{"keywords", {"bill"}}}, "tl"));
}
TEST(IfevalSeaA8, Forbidden) {
  EXPECT_FALSE(Check("keywords:forbidden_words", "The Earth's climate", {{"forbidden_words", {"earth"}}}));
}
TEST(IfevalSeaA8, Frequency) {
  EXPECT_FALSE(Check("keywords:frequency", "Morning. morning! mornings",
                     {{"keyword", "morning"}, {"relation", "less than"}, {"frequency", 2}}));
  EXPECT_TRUE(Check("keywords:frequency", "Umaga umaga", {{"keyword", "umaga"}, {"relation", "exactly"}, {"frequency", 2}}, "tl"));
}
TEST(IfevalSeaA8, NumberFrequency) {
  EXPECT_TRUE(Check("keywords:number_frequency", "3, 13, 33, 2023", {{"number", "3"}, {"relation", "exactly"}, {"frequency", 5}}));
}
TEST(IfevalSeaA8, RepeatPrompt) {
  EXPECT_FALSE(Check("combination:repeat_prompt", "Write a poem.  ", {{"prompt_to_repeat", "Write a poem."}}));
  EXPECT_TRUE(Check("combination:repeat_prompt", "write a poem. Roses...", {{"prompt_to_repeat", "Write a poem."}}));
}
TEST(IfevalSeaA8, TwoResponses) {
  EXPECT_TRUE(Check("combination:two_responses", "A\n******\nB\n******\n..."));
  EXPECT_TRUE(Check("combination:two_responses", "A\n******\nA"));
}

// ---- one more pass / fail per id, beyond A.8 ----
TEST(IfevalSea, NumberWordsRelations) {
  const std::string r = "one two three";
  EXPECT_TRUE(Check("length_constraints:number_words", r, {{"relation", "at least"}, {"num_words", 3}}));
  EXPECT_FALSE(Check("length_constraints:number_words", r, {{"relation", "less than"}, {"num_words", 3}}));
  EXPECT_TRUE(Check("length_constraints:number_words", r, {{"relation", "less than"}, {"num_words", "4"}}));
  // Vietnamese NFC: each syllable is one word; NFD splits at the combining marks.
  EXPECT_TRUE(Check("length_constraints:number_words", "Tiếng Việt", {{"relation", "exactly"}, {"num_words", 2}}, "vi"));
  EXPECT_TRUE(Check("length_constraints:number_words", "Vie\xCC\xA3\xCC\x82t", {{"relation", "exactly"}, {"num_words", 2}}, "vi"));
  EXPECT_THROW(Check("length_constraints:number_words", r, {{"relation", "about"}, {"num_words", 3}}), Error);
  EXPECT_THROW(Check("length_constraints:number_words", "x", {{"relation", "exactly"}, {"num_words", 1}}, "th"), Error);
}
TEST(IfevalSea, NumberSentencesFail) {
  EXPECT_FALSE(Check("length_constraints:number_sentences", "A. B. C.", {{"relation", "at least"}, {"num_sentences", 2}}));
}
TEST(IfevalSea, NumberParagraphsFail) {
  EXPECT_FALSE(Check("length_constraints:number_paragraphs", "P1\n***\nP2\n***\nP3", {{"num_paragraphs", 2}}));
}
TEST(IfevalSea, PostscriptMarkers) {
  EXPECT_TRUE(Check("detectable_content:postscript", "เนื้อหา\nป.ล. ขอบคุณ", {{"postscript_marker", "ป.ล."}}, "th"));
  EXPECT_FALSE(Check("detectable_content:postscript", "เนื้อหา ขอบคุณ", {{"postscript_marker", "ป.ล."}}, "th"));
  EXPECT_TRUE(Check("detectable_content:postscript", "x\nபி.கு. நன்றி", {{"postscript_marker", "பி.கு."}}, "ta"));
  EXPECT_TRUE(Check("detectable_content:postscript", "x\np.p.s. bye", {{"postscript_marker", "P.P.S."}}));
  EXPECT_THROW(Check("detectable_content:postscript", "x", {{"postscript_marker", "NB"}}), Error);
}
TEST(IfevalSea, TitleFail) {
  EXPECT_FALSE(Check("detectable_format:title", "<<\n>> <<   >>"));
}
TEST(IfevalSea, BulletsFail) {
  EXPECT_FALSE(Check("detectable_format:number_bullet_lists", "* a\n* b\n*c\n-d", {{"num_bullets", 3}}));
}
TEST(IfevalSea, SectionsNeedSpaceAndExactCount) {
  EXPECT_FALSE(Check("detectable_format:multiple_sections", "SECTION 1 a SECTION 2 b SECTION 3",
                     {{"section_title", "SECTION"}, {"num_sections", 2}}));
  EXPECT_TRUE(Check("detectable_format:multiple_sections", "ส่วนที่ ๑\nก\nส่วนที่ ๒",
                    {{"section_title", "ส่วนที่"}, {"num_sections", 2}}, "th"));
}
TEST(IfevalSea, JsonFenceRemovedOnce) {
  EXPECT_FALSE(Check("detectable_format:json_format", "```json\n```json\n{}\n```"));
  EXPECT_TRUE(Check("detectable_format:json_format", "```\n[1, 2.5e3, -Infinity, \"x\"]\n```"));
  EXPECT_FALSE(Check("detectable_format:json_format", "{\"a\": 1,}"));
}
TEST(IfevalSea, ConstrainedOtherLanguages) {
  EXPECT_TRUE(Check("detectable_format:constrained_response", "Jawaban saya adalah tidak.", {}, "id"));
  EXPECT_FALSE(Check("detectable_format:constrained_response", "Jawaban saya tidak.", {}, "id"));
  EXPECT_TRUE(Check("detectable_format:constrained_response", "คำตอบของฉันคือใช่ ครับ", {}, "th"));
  EXPECT_TRUE(Check("detectable_format:constrained_response", "என்னுடைய பதில் ஆம்.", {}, "ta"));
}
TEST(IfevalSea, FirstWordFail) { EXPECT_FALSE(Check("startend:first_word", "I tweet", {{"first_word", "tweet"}})); }
TEST(IfevalSea, EndCheckerPass) {
  EXPECT_TRUE(Check("startend:end_checker", "Bye. ANY OTHER QUESTIONS?  ", {{"end_phrase", "Any other questions?"}}));
}
TEST(IfevalSea, KeywordsVietnameseBoundary) {
  // \b must be Unicode-aware: "có" is a whole word here but not inside "cóc".
  EXPECT_TRUE(Check("keywords:existence", "Tôi có một con mèo.", {{"keywords", {"có"}}}, "vi"));
  EXPECT_FALSE(Check("keywords:existence", "Con cóc.", {{"keywords", {"có"}}}, "vi"));
  EXPECT_TRUE(Check("keywords:forbidden_words", "Con cóc.", {{"forbidden_words", {"có"}}}, "vi"));
  // Thai: substring, case-sensitive group.
  EXPECT_TRUE(Check("keywords:existence", "ฉันชอบแมวมาก", {{"keywords", {"แมว"}}}, "th"));
}
TEST(IfevalSea, FrequencyTamilSubstring) {
  EXPECT_TRUE(Check("keywords:frequency", "மழை பெய்தது, மழைக்காலம்", {{"keyword", "மழை"}, {"relation", "at least"}, {"frequency", 2}}, "ta"));
  EXPECT_FALSE(Check("keywords:frequency", "மழை", {{"keyword", "மழை"}, {"relation", "at least"}, {"frequency", 2}}, "ta"));
}
TEST(IfevalSea, NumberFrequencyFail) {
  EXPECT_FALSE(Check("keywords:number_frequency", "3 and 4", {{"number", "3"}, {"relation", "at least"}, {"frequency", 2}}));
}
TEST(IfevalSea, TwoResponsesFail) {
  EXPECT_FALSE(Check("combination:two_responses", "A\n******\n...\n******\n"));
  EXPECT_FALSE(Check("combination:two_responses", "A ****** B ****** C"));
}
TEST(IfevalSea, ResponseLanguage) {
  const std::string id_text =
      "Saya sangat senang bisa belajar bahasa Indonesia bersama teman-teman di sekolah setiap hari.";
  EXPECT_TRUE(Check("language:response_language", id_text, {{"response_language", "id"}}, "id"));
  EXPECT_FALSE(Check("language:response_language", id_text, {{"response_language", "vi"}}, "id"));
}
TEST(IfevalSea, KwargErrorsNameTheKwarg) {
  try {
    Check("startend:first_word", "x", {{"first_word", "x"}, {"num_words", 3}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("num_words"), std::string::npos);
  }
  EXPECT_THROW(Check("startend:first_word", "x", nlohmann::json::object()), Error);
  EXPECT_THROW(Check("no:such_id", "x"), Error);
}

}  // namespace
}  // namespace bhasa::metrics
