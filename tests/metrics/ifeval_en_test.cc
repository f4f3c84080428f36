// English IFEval checkers (spec A.9.1 vectors and a pass / fail per id) and
// the "ifeval_en" scorer's strict / loose arithmetic.
#include <gtest/gtest.h>

#include "common/error.h"
#include "metrics/ifeval_en_text.h"
#include "metrics/ifeval_registry.h"
#include "metrics/langid.h"
#include "metrics/scorer.h"

namespace bhasa::metrics {
namespace {

bool Check(const std::string& id, const std::string& response, nlohmann::json kwargs = nlohmann::json::object()) {
  static const auto detector = MakeCld2Detector();
  return RunIfevalCheck(IfevalFamily::kEnglish, id, IfevalCheckInput{response, "en", kwargs, detector.get(), "k1"});
}

TEST(IfevalEn, AllTwentyFiveIdsRegistered) { EXPECT_EQ(IfevalChecks(IfevalFamily::kEnglish).Names().size(), 25u); }

// ---- the spec's extra English vectors ----
TEST(IfevalEnVectors, Spec) {
  EXPECT_TRUE(Check("detectable_format:number_bullet_lists", "* a\n- b\n-c\n*  d\n** e\n---", {{"num_bullets", 5}}));
  EXPECT_FALSE(Check("length_constraints:number_paragraphs", "P1\n***\n***\nP2", {{"num_paragraphs", 2}}));
  EXPECT_FALSE(Check("combination:two_responses", "A\n******\nA"));
  EXPECT_FALSE(Check("detectable_format:json_format", "```json\n```json\n{}\n```"));
  EXPECT_TRUE(Check("startend:end_checker", "...help with?\"", {{"end_phrase", "Is there anything else I can help with?"}}) ==
              false);  // "...help with?" does not end with the whole phrase
  EXPECT_TRUE(Check("startend:end_checker", "...Is there anything else I can help with?\"",
                    {{"end_phrase", "Is there anything else I can help with?"}}));
  EXPECT_FALSE(Check("length_constraints:nth_paragraph_first_word", "one\n\n\n\ntwo\n\nthree",
                     {{"num_paragraphs", 3}, {"nth_paragraph", 2}, {"first_word", "two"}}));
  EXPECT_TRUE(Check("length_constraints:nth_paragraph_first_word", "\"Hello, there\n\nsecond\n\n\n\nthird",
                    {{"num_paragraphs", 3}, {"nth_paragraph", 1}, {"first_word", "hello"}}));
}

TEST(IfevalEnVectors, TitleAndQuotationStrictLoose) {
  ScoreItem item;
  item.id = "1";
  item.responses = {"Sure! Here you go:\n\"<<Title>> body **bold**\"\nHope this helps!"};
  item.row = {{"instruction_id_list", {"detectable_format:title", "startend:quotation"}},
              {"kwargs", {nlohmann::json::object(), nlohmann::json::object()}}};
  auto r = MakeScorer("ifeval_en")->Score(std::span(&item, 1), ScoreOptions{"en", "", nlohmann::json::object()});
  EXPECT_EQ(r.items[0].details["follow_instruction_list_strict"], nlohmann::json({true, false}));
  EXPECT_EQ(r.items[0].details["follow_instruction_list_loose"], nlohmann::json({true, true}));
  EXPECT_DOUBLE_EQ(r.metrics["prompt_level_strict_acc"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(r.metrics["prompt_level_loose_acc"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r.metrics["inst_level_strict_acc"].get<double>(), 0.5);
  // IFEval scores the response as it is: its cleaned_responses is the response, not a copy.
  EXPECT_TRUE(r.items[0].cleaned_is_response);
  EXPECT_TRUE(r.items[0].cleaned.empty());
  EXPECT_EQ(CleanedText(item, r.items[0]), item.responses[0]);
}

TEST(CleanedText, IsTheCleanedStringUnlessTheScorerScoredTheResponse) {
  ScoreItem item;
  item.responses = {"Jawaban: Positif"};
  ItemResult r;
  r.cleaned = "Positif";
  EXPECT_EQ(CleanedText(item, r), "Positif");
  r.cleaned_is_response = true;
  EXPECT_EQ(CleanedText(item, r), "Jawaban: Positif");
  item.responses.clear();
  EXPECT_EQ(CleanedText(item, r), "");
}

// Each loose variant (first line, last line or both removed; '*' removed) on
// its own, for responses of one, two and three lines.
TEST(IfevalEnScorer, LooseVariantsPerLineCount) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"\"one line\"", true},         {"x\"one line\"", false},     {"*\"starred\"*", true},
      {"Intro:\n\"q\"", true},         {"\"q\"\nBye", true},          {"a\n\"q\"\nb", true},
      {"a\n*\"q\"*\nb", true},        {"a\nb\n\"q\"\nc\nd", false}, {"a\nb", false},
      {"\n\"q\"\n", true},            {"\"q\n\"", true}};
  std::vector<ScoreItem> items;
  for (const auto& [response, _] : cases) {
    ScoreItem item;
    item.id = std::to_string(items.size());
    item.responses = {response};
    item.row = {{"instruction_id_list", {"startend:quotation"}}, {"kwargs", {nlohmann::json::object()}}};
    items.push_back(item);
  }
  auto r = MakeScorer("ifeval_en")->Score(items, ScoreOptions{"en", "", nlohmann::json::object()});
  for (size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(r.items[i].details["follow_instruction_list_loose"][0].get<bool>(), cases[i].second) << cases[i].first;
}

// Keyword patterns are built once per instruction (the loose variants reuse
// the response's) and only as they are reached, as upstream's loop compiles
// them: a bad pattern after the deciding one is never compiled.
TEST(IfevalEnScorer, KeywordPatternsAreBuiltAsTheyAreReached) {
  auto score = [](const std::string& response, const std::string& id, nlohmann::json kwargs) {
    ScoreItem item;
    item.id = "1";
    item.responses = {response};
    item.row = {{"instruction_id_list", {id}}, {"kwargs", {std::move(kwargs)}}};
    const auto r = MakeScorer("ifeval_en")->Score(std::span(&item, 1), ScoreOptions{"en", "", nlohmann::json::object()});
    return std::make_pair(r.items[0].details["follow_instruction_list_strict"][0].get<bool>(),
                          r.items[0].details["follow_instruction_list_loose"][0].get<bool>());
  };
  // "hari" sorts before "zz(bad" and is in the response and every variant.
  const nlohmann::json forbidden = {{"forbidden_words", {"zz(bad", "hari"}}};
  EXPECT_EQ(score("Hari ini\n**hari** itu\nhari", "keywords:forbidden_words", forbidden), std::make_pair(false, false));
  EXPECT_THROW(score("tidak ada", "keywords:forbidden_words", forbidden), Error);  // "zz(bad" is reached
  // Keywords are tried in the given order: the missing first one decides.
  const nlohmann::json keywords = {{"keywords", {"nasi", "(x"}}};
  EXPECT_EQ(score("ayam\n*goreng*\nenak", "keywords:existence", keywords), std::make_pair(false, false));
  EXPECT_THROW(score("nasi goreng", "keywords:existence", keywords), Error);
  EXPECT_EQ(score("nasi\n**x**", "keywords:existence", {{"keywords", {"nasi", "x"}}}), std::make_pair(true, true));
}

// ---- pass / fail per id ----
TEST(IfevalEn, Keywords) {
  EXPECT_TRUE(Check("keywords:existence", "The Economists", {{"keywords", {"economist"}}}));  // no boundaries
  EXPECT_FALSE(Check("keywords:existence", "The Economy", {{"keywords", {"economist"}}}));
  EXPECT_TRUE(Check("keywords:frequency", "Hi hi HI", {{"keyword", " hi "}, {"frequency", 3}, {"relation", "at least"}}));
  EXPECT_FALSE(Check("keywords:frequency", "Hi hi HI", {{"keyword", "hi"}, {"frequency", 3}, {"relation", "less than"}}));
  EXPECT_TRUE(Check("keywords:forbidden_words", "Earthly", {{"forbidden_words", {"earth", "earth"}}}));
  EXPECT_FALSE(Check("keywords:forbidden_words", "The EARTH", {{"forbidden_words", {"earth"}}}));
  EXPECT_THROW(Check("keywords:frequency", "x", {{"keyword", "x"}, {"frequency", 1}, {"relation", "exactly"}}), Error);
}
TEST(IfevalEn, LetterFrequency) {
  EXPECT_TRUE(Check("keywords:letter_frequency", "Banana", {{"letter", "A"}, {"let_frequency", 3}, {"let_relation", "at least"}}));
  EXPECT_FALSE(Check("keywords:letter_frequency", "Banana", {{"letter", "a"}, {"let_frequency", 3}, {"let_relation", "less than"}}));
  // An invalid letter falls back to a letter chosen from the item id: deterministic.
  const bool a = Check("keywords:letter_frequency", "abc", {{"letter", "#"}, {"let_frequency", 1}, {"let_relation", "at least"}});
  EXPECT_EQ(a, Check("keywords:letter_frequency", "abc", {{"letter", "#"}, {"let_frequency", 1}, {"let_relation", "at least"}}));
}
TEST(IfevalEn, Language) {
  EXPECT_TRUE(Check("language:response_language",
                    "Saya sangat senang bisa belajar bahasa Indonesia bersama teman-teman di sekolah setiap hari.",
                    {{"language", "id"}}));
  EXPECT_FALSE(Check("language:response_language", "This is clearly an English sentence about the weather today.",
                     {{"language", "id"}}));
  EXPECT_TRUE(Check("language:response_language", "12345 !!!", {{"language", "id"}}));  // no features -> True
}
TEST(IfevalEn, Length) {
  EXPECT_TRUE(Check("length_constraints:number_sentences", "Mr. Smith came. He left! Why?", {{"num_sentences", 3}, {"relation", "at least"}}));
  EXPECT_FALSE(Check("length_constraints:number_sentences", "Mr. Smith came. He left! Why?", {{"num_sentences", 3}, {"relation", "less than"}}));
  EXPECT_TRUE(Check("length_constraints:number_paragraphs", "***\nA\n***\nB", {{"num_paragraphs", 2}}));
  EXPECT_FALSE(Check("length_constraints:number_paragraphs", "A\n***\nB", {{"num_paragraphs", 3}}));
  EXPECT_TRUE(Check("length_constraints:number_words", "a b c", {{"num_words", 4}, {"relation", "less than"}}));
  EXPECT_FALSE(Check("length_constraints:number_words", "a b c", {{"num_words", 4}, {"relation", "at least"}}));
}
TEST(IfevalEn, ContentAndFormat) {
  EXPECT_TRUE(Check("detectable_content:number_placeholders", "[] [x]", {{"num_placeholders", 2}}));
  EXPECT_FALSE(Check("detectable_content:number_placeholders", "[x]", {{"num_placeholders", 2}}));
  EXPECT_TRUE(Check("detectable_content:postscript", "x\nP.P.S hi", {{"postscript_marker", "P.P.S"}}));
  EXPECT_FALSE(Check("detectable_content:postscript", "x\nPS hi", {{"postscript_marker", "P.S."}}));
  EXPECT_TRUE(Check("detectable_content:postscript", "x\nNote: hi", {{"postscript_marker", "Note:"}}));
  EXPECT_FALSE(Check("detectable_format:number_bullet_lists", "* a\n** b", {{"num_bullets", 2}}));
  EXPECT_TRUE(Check("detectable_format:constrained_response", " My answer is no. "));
  EXPECT_FALSE(Check("detectable_format:constrained_response", "My answer is nope"));
  EXPECT_TRUE(Check("detectable_format:number_highlighted_sections", "*a* **b**", {{"num_highlights", 2}}));
  EXPECT_FALSE(Check("detectable_format:number_highlighted_sections", "** **", {{"num_highlights", 1}}));
  EXPECT_TRUE(Check("detectable_format:multiple_sections", "Section 1 a Section 2 b", {{"section_spliter", "Section"}, {"num_sections", 2}}));
  EXPECT_FALSE(Check("detectable_format:multiple_sections", "Section A a Section B b", {{"section_spliter", "Section"}, {"num_sections", 1}}));
  EXPECT_TRUE(Check("detectable_format:json_format", "```JSON\n{\"a\": [1, 2]}\n```"));
  EXPECT_FALSE(Check("detectable_format:json_format", "{'a': 1}"));
  EXPECT_TRUE(Check("detectable_format:title", "<<T>>"));
  EXPECT_FALSE(Check("detectable_format:title", "<T>"));
}
TEST(IfevalEn, CombinationStartEnd) {
  EXPECT_TRUE(Check("combination:two_responses", "A\n******\nB"));
  EXPECT_TRUE(Check("combination:repeat_prompt", "Write a poem. ", {{"prompt_to_repeat", "write a poem."}}));
  EXPECT_FALSE(Check("combination:repeat_prompt", "A poem", {{"prompt_to_repeat", "write a poem."}}));
  EXPECT_TRUE(Check("startend:quotation", "\"x\""));
  EXPECT_FALSE(Check("startend:quotation", "\""));
  EXPECT_FALSE(Check("startend:end_checker", "bye now", {{"end_phrase", "bye"}}));
}
TEST(IfevalEn, CaseAndPunctuation) {
  EXPECT_TRUE(Check("change_case:capital_word_frequency", "I LOVE this DON'T you", {{"capital_frequency", 4}, {"capital_relation", "at least"}}));
  EXPECT_FALSE(Check("change_case:capital_word_frequency", "I LOVE this", {{"capital_frequency", 2}, {"capital_relation", "less than"}}));
  EXPECT_TRUE(Check("change_case:english_capital", "THIS IS A LONG ENGLISH SENTENCE ABOUT THE WEATHER AND THE NEWS TODAY."));
  EXPECT_FALSE(Check("change_case:english_capital", "THIS IS Mostly upper."));
  EXPECT_TRUE(Check("change_case:english_lowercase", "this is a long english sentence about the weather and the news today."));
  EXPECT_FALSE(Check("change_case:english_lowercase", "This is not lowercase."));
  EXPECT_TRUE(Check("punctuation:no_comma", "no commas here"));
  EXPECT_FALSE(Check("punctuation:no_comma", "a, b"));
}
TEST(IfevalEnText, Tokens) {
  EXPECT_EQ(EnglishWordTokens("\"DON'T stop,\" she said."),
            (std::vector<std::string>{"\"", "DO", "N'T", "stop", ",", "\"", "she", "said", "."}));
  EXPECT_EQ(CountEnglishSentences(""), 0u);
  EXPECT_EQ(CountEnglishSentences("One. Two. e.g. three"), 3u);
  EXPECT_EQ(CountEnglishSentences("Apples, pears, etc. Then more."), 2u);
}
TEST(IfevalEnScorer, EmptyResponseFailsEverything) {
  ScoreItem item;
  item.id = "2";
  item.responses = {"  "};
  item.row = {{"metadata", {{"instruction_id_list", {"punctuation:no_comma"}}}}, {"kwargs", {{{"x", nullptr}}}}};
  auto r = MakeScorer("ifeval_en")->Score(std::span(&item, 1), ScoreOptions{});
  EXPECT_EQ(r.metrics["normalized_prompt_level_strict_acc"].get<double>(), 0.0);
  EXPECT_EQ(r.metrics["prompt_level_loose_acc"].get<double>(), 0.0);
}

}  // namespace
}  // namespace bhasa::metrics
