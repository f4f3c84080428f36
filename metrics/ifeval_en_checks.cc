// English IFEval checkers (Google's instructions.py as SEA-HELM runs them),
// spec A.9.1: 25 instruction ids. Registered at static-init time.
//
// Differences from upstream, by necessity: langdetect is replaced by the
// configured LanguageDetector, NLTK Punkt / word_tokenize by the
// approximations in ifeval_en_text.h, and the random letter that replaces an
// invalid `letter` kwarg is derived from the item id (upstream is unseeded).
#include <algorithm>

#include <unicode/uchar.h>

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/ifeval_en_text.h"
#include "metrics/ifeval_pyjson.h"
#include "metrics/ifeval_pyregex.h"
#include "metrics/ifeval_pytext.h"
#include "metrics/ifeval_registry.h"
#include "metrics/langid.h"

namespace bhasa::metrics {
namespace {

constexpr IfevalFamily kEn = IfevalFamily::kEnglish;

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}
bool Blank(std::string_view s) { return py::IsBlank(s); }

std::vector<std::string> SplitLiteral(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t k; (k = s.find(sep, pos)) != std::string_view::npos; pos = k + sep.size())
    out.emplace_back(s.substr(pos, k - pos));
  out.emplace_back(s.substr(pos));
  return out;
}

// langdetect raises LangDetectException ("No features in text") when the text
// has no letters; upstream then counts the instruction as followed.
bool HasLetters(std::string_view text) {
  for (char32_t c : py::Decode(text))
    if (u_isalpha(c)) return true;
  return false;
}

std::string DetectLang(const IfevalCheckInput& in) {
  if (!in.detector) throw Error("no language detector");
  return in.detector->Detect(in.response).lang;
}

// The instruction's words from `key` (prepared by `words_of` on the first
// text) and the patterns `pattern_of` builds from them, built as they are
// first reached (upstream compiles lazily, so a bad pattern after a hit is
// never compiled); `stop(re)` ends the walk with true.
template <typename WordsOf, typename PatternOf, typename Stop>
bool AnyPattern(const IfevalCheckInput& in, WordsOf words_of, PatternOf pattern_of, Stop stop) {
  IfevalCheckMemo local;
  IfevalCheckMemo& memo = in.memo ? *in.memo : local;
  if (!memo.filled) {
    memo.words = words_of();
    memo.filled = true;
  }
  for (size_t k = 0; k < memo.words.size(); ++k) {
    if (k == memo.patterns.size()) memo.patterns.push_back(&pattern_of(memo.words[k]));
    if (stop(*memo.patterns[k])) return true;
  }
  return false;
}

const RegisterIfevalCheck kExistence(kEn, "keywords:existence",
    {{"keywords"}, {}, [](const IfevalCheckInput& in) {
       return !AnyPattern(
           in, [&] { return KwStringViews(in.kwargs, "keywords"); },
           [](std::string_view k) -> const PyRegex& { return PyRegex::Cached(k, PyRegex::kIgnoreCase); },
           [&](const PyRegex& re) { return !re.Search(in.response, in.valid_utf8); });
     }});

const RegisterIfevalCheck kFrequency(kEn, "keywords:frequency",
    {{"keyword", "frequency", "relation"}, {}, [](const IfevalCheckInput& in) {
       const PyRegex& re = PyRegex::Cached(py::Strip(KwString(in.kwargs, "keyword")), PyRegex::kIgnoreCase);
       return EnCompare(static_cast<long long>(re.Count(in.response, in.valid_utf8)), KwString(in.kwargs, "relation"),
                        KwInt(in.kwargs, "frequency"));
     }});

const RegisterIfevalCheck kForbidden(kEn, "keywords:forbidden_words",
    {{"forbidden_words"}, {}, [](const IfevalCheckInput& in) {
       return !AnyPattern(
           in,
           [&] {  // each distinct word once, in sorted order (upstream's set)
             auto words = KwStringViews(in.kwargs, "forbidden_words");
             std::sort(words.begin(), words.end());
             words.erase(std::unique(words.begin(), words.end()), words.end());
             return words;
           },
           [](std::string_view w) -> const PyRegex& {
             thread_local std::string pattern;  // no allocation per word
             pattern.assign(R"(\b)").append(w).append(R"(\b)");
             return PyRegex::Cached(pattern, PyRegex::kIgnoreCase);
           },
           [&](const PyRegex& re) { return re.Search(in.response, in.valid_utf8); });
     }});

// An invalid letter is replaced by a "random" ASCII letter (lowercased). The
// choice here is FNV-1a of the item id over string.ascii_letters, so runs are
// reproducible; upstream is not.
const RegisterIfevalCheck kLetterFrequency(kEn, "keywords:letter_frequency",
    {{"let_frequency", "let_relation"}, {"letter"}, [](const IfevalCheckInput& in) {
       std::string letter = in.kwargs.contains("letter") && in.kwargs["letter"].is_string()
                                ? in.kwargs["letter"].get<std::string>() : std::string();
       const std::string lower = py::Lower(letter);
       if (lower.size() != 1 || lower[0] < 'a' || lower[0] > 'z') {
         static constexpr std::string_view kLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
         uint64_t h = 1469598103934665603ull;
         for (unsigned char c : in.item_id) h = (h ^ c) * 1099511628211ull;
         letter = std::string(1, static_cast<char>(kLetters[h % kLetters.size()] | 0x20));
       } else {
         letter = lower;
       }
       const std::string text = py::Lower(in.response);
       const auto n = static_cast<long long>(std::count(text.begin(), text.end(), letter[0]));
       return EnCompare(n, KwString(in.kwargs, "let_relation"), KwInt(in.kwargs, "let_frequency"));
     }});

const RegisterIfevalCheck kResponseLanguage(kEn, "language:response_language",
    {{"language"}, {}, [](const IfevalCheckInput& in) {
       if (!HasLetters(in.response)) return true;
       return DetectLang(in) == KwString(in.kwargs, "language");
     }});

const RegisterIfevalCheck kNumberSentences(kEn, "length_constraints:number_sentences",
    {{"num_sentences", "relation"}, {}, [](const IfevalCheckInput& in) {
       return EnCompare(static_cast<long long>(CountEnglishSentences(in.response)), KwString(in.kwargs, "relation"),
                        KwInt(in.kwargs, "num_sentences"));
     }});

// Blank pieces at either end reduce the count; a blank piece inside fails.
const RegisterIfevalCheck kNumberParagraphs(kEn, "length_constraints:number_paragraphs",
    {{"num_paragraphs"}, {}, [](const IfevalCheckInput& in) {
       static const PyRegex re(R"(\s?\*\*\*\s?)");
       const auto parts = re.Split(in.response);
       long long n = static_cast<long long>(parts.size());
       for (size_t i = 0; i < parts.size(); ++i) {
         if (!Blank(parts[i])) continue;
         if (i == 0 || i + 1 == parts.size()) --n;
         else return false;
       }
       return n == KwInt(in.kwargs, "num_paragraphs");
     }});

const RegisterIfevalCheck kNumberWords(kEn, "length_constraints:number_words",
    {{"num_words", "relation"}, {}, [](const IfevalCheckInput& in) {
       return EnCompare(static_cast<long long>(CountPyWords(in.response)), KwString(in.kwargs, "relation"),
                        KwInt(in.kwargs, "num_words"));
     }});

const RegisterIfevalCheck kNthParagraph(kEn, "length_constraints:nth_paragraph_first_word",
    {{"num_paragraphs", "nth_paragraph", "first_word"}, {}, [](const IfevalCheckInput& in) {
       const auto parts = SplitLiteral(in.response, "\n\n");
       long long count = static_cast<long long>(parts.size());
       for (const auto& p : parts) count -= Blank(p);
       const long long nth = KwInt(in.kwargs, "nth_paragraph");
       if (nth > count) return false;
       long long idx = nth - 1;  // Python indexing: -1 is the last piece
       if (idx < 0) idx += static_cast<long long>(parts.size());
       if (idx < 0 || idx >= static_cast<long long>(parts.size())) return false;
       const std::string para = py::Strip(parts[static_cast<size_t>(idx)]);
       if (para.empty()) return false;
       std::string word = py::Strip(py::Split(para)[0]);
       word = PyLStripChars(PyLStripChars(word, U"'"), U"\"");
       std::u32string first;
       for (char32_t c : py::Decode(word)) {
         if (std::u32string_view(U".,?!'\"").find(c) != std::u32string_view::npos) break;
         first.push_back(c);
       }
       return count == KwInt(in.kwargs, "num_paragraphs") &&
              py::Lower(py::Encode(first)) == py::Lower(KwString(in.kwargs, "first_word"));
     }});

// Empty "[]" placeholders count here (SEA-IFEval excludes them).
const RegisterIfevalCheck kPlaceholders(kEn, "detectable_content:number_placeholders",
    {{"num_placeholders"}, {}, [](const IfevalCheckInput& in) {
       static const PyRegex re(R"(\[.*?\])");
       return static_cast<long long>(re.Count(in.response)) >= KwInt(in.kwargs, "num_placeholders");
     }});

const RegisterIfevalCheck kPostscript(kEn, "detectable_content:postscript",
    {{"postscript_marker"}, {}, [](const IfevalCheckInput& in) {
       const std::string marker = KwString(in.kwargs, "postscript_marker");
       std::string pattern;
       if (marker == "P.P.S") pattern = R"(\s*p\.\s?p\.\s?s.*$)";
       else if (marker == "P.S.") pattern = R"(\s*p\.\s?s\..*$)";
       else pattern = R"(\s*)" + py::Lower(marker) + R"(.*$)";
       return PyRegex::Cached(pattern, PyRegex::kMultiline).Search(py::Lower(in.response));
     }});

// Any "-" line counts, "---" included; "*" must not be followed by another "*".
const RegisterIfevalCheck kBullets(kEn, "detectable_format:number_bullet_lists",
    {{"num_bullets"}, {}, [](const IfevalCheckInput& in) {
       static const PyRegex star(R"(^\s*\*[^\*].*$)", PyRegex::kMultiline);
       static const PyRegex dash(R"(^\s*-.*$)", PyRegex::kMultiline);
       return static_cast<long long>(star.Count(in.response) + dash.Count(in.response)) ==
              KwInt(in.kwargs, "num_bullets");
     }});

const RegisterIfevalCheck kConstrained(kEn, "detectable_format:constrained_response",
    {{}, {}, [](const IfevalCheckInput& in) {
       const std::string t = py::Strip(in.response);
       for (std::string_view o : {"My answer is yes.", "My answer is no.", "My answer is maybe."})
         if (t.find(o) != std::string::npos) return true;
       return false;
     }});

const RegisterIfevalCheck kHighlights(kEn, "detectable_format:number_highlighted_sections",
    {{"num_highlights"}, {}, [](const IfevalCheckInput& in) {
       static const PyRegex single(R"(\*[^\n\*]*\*)");
       static const PyRegex twin(R"(\*\*[^\n\*]*\*\*)");
       long long n = 0;
       for (const auto& m : single.FindAll(in.response)) n += !Blank(py::StripChars(m, U"*"));
       for (const auto& m : twin.FindAll(in.response)) n += !Blank(std::string_view(m).substr(2, m.size() - 4));
       return n >= KwInt(in.kwargs, "num_highlights");
     }});

const RegisterIfevalCheck kSections(kEn, "detectable_format:multiple_sections",
    {{"section_spliter", "num_sections"}, {}, [](const IfevalCheckInput& in) {
       const PyRegex& re = PyRegex::Cached(R"(\s?)" + KwString(in.kwargs, "section_spliter") + R"(\s?\d+\s?)");
       return static_cast<long long>(re.Split(in.response).size()) - 1 >= KwInt(in.kwargs, "num_sections");
     }});

// Prefixes are removed one after another (so "```json```{}" loses both).
const RegisterIfevalCheck kJson(kEn, "detectable_format:json_format",
    {{}, {}, [](const IfevalCheckInput& in) {
       std::string t = py::Strip(in.response);
       for (std::string_view p : {"```json", "```Json", "```JSON", "```"})
         if (StartsWith(t, p)) t.erase(0, p.size());
       if (EndsWith(t, "```")) t.erase(t.size() - 3);
       return PyJsonLoads(py::Strip(t));
     }});

const RegisterIfevalCheck kTitle(kEn, "detectable_format:title",
    {{}, {}, [](const IfevalCheckInput& in) {
       for (std::string_view m : FindAngleTitles(in.response))
         if (!Blank(AngleTitleText(m))) return true;
       return false;
     }});

// Blank pieces at the ends are ignored, inside they fail; the two must differ.
const RegisterIfevalCheck kTwoResponses(kEn, "combination:two_responses",
    {{}, {}, [](const IfevalCheckInput& in) {
       const auto parts = SplitLiteral(in.response, "******");
       std::vector<std::string> valid;
       for (size_t i = 0; i < parts.size(); ++i) {
         if (Blank(parts[i])) {
           if (i != 0 && i + 1 != parts.size()) return false;
         } else {
           valid.push_back(parts[i]);
         }
       }
       return valid.size() == 2 && py::Strip(valid[0]) != py::Strip(valid[1]);
     }});

const RegisterIfevalCheck kRepeatPrompt(kEn, "combination:repeat_prompt",
    {{"prompt_to_repeat"}, {}, [](const IfevalCheckInput& in) {
       return StartsWith(py::Lower(py::Strip(in.response)), py::Lower(py::Strip(KwString(in.kwargs, "prompt_to_repeat"))));
     }});

const RegisterIfevalCheck kEndChecker(kEn, "startend:end_checker",
    {{"end_phrase"}, {}, [](const IfevalCheckInput& in) {
       const std::string t = py::Lower(py::StripChars(py::Strip(in.response), U"\""));
       return EndsWith(t, py::Lower(py::Strip(KwString(in.kwargs, "end_phrase"))));
     }});

const RegisterIfevalCheck kQuotation(kEn, "startend:quotation",
    {{}, {}, [](const IfevalCheckInput& in) {
       const std::u32string t = py::Decode(py::Strip(in.response));
       return t.size() > 1 && t.front() == '"' && t.back() == '"';
     }});

const RegisterIfevalCheck kCapitalFrequency(kEn, "change_case:capital_word_frequency",
    {{"capital_frequency", "capital_relation"}, {}, [](const IfevalCheckInput& in) {
       long long n = 0;
       for (const auto& tok : EnglishWordTokens(in.response)) n += PyIsUpper(tok);
       return EnCompare(n, KwString(in.kwargs, "capital_relation"), KwInt(in.kwargs, "capital_frequency"));
     }});

const RegisterIfevalCheck kEnglishCapital(kEn, "change_case:english_capital",
    {{}, {}, [](const IfevalCheckInput& in) {
       if (!PyIsUpper(in.response)) return false;
       return !HasLetters(in.response) || DetectLang(in) == "en";
     }});

const RegisterIfevalCheck kEnglishLowercase(kEn, "change_case:english_lowercase",
    {{}, {}, [](const IfevalCheckInput& in) {
       if (!PyIsLower(in.response)) return false;
       return !HasLetters(in.response) || DetectLang(in) == "en";
     }});

const RegisterIfevalCheck kNoComma(kEn, "punctuation:no_comma",
    {{}, {}, [](const IfevalCheckInput& in) { return in.response.find(',') == std::string_view::npos; }});

}  // namespace
}  // namespace bhasa::metrics
