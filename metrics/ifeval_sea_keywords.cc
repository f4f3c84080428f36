// SEA-IFEval checkers, part 2: start/end, keywords, combination and language
// (spec A.3 rows 12-21). Registered at static-init time.
#include "common/error.h"
#include "common/pystr.h"
#include "metrics/ifeval_pyregex.h"
#include "metrics/ifeval_pytext.h"
#include "metrics/ifeval_registry.h"
#include "metrics/langid.h"

namespace bhasa::metrics {
namespace {

constexpr IfevalFamily kSea = IfevalFamily::kSea;

// Keyword matching groups at SEA-HELM HEAD: \b + IGNORECASE for the first,
// bare case-sensitive regex for the second (tl moved there after v1).
bool InBoundaryGroup(std::string_view lang) {
  return lang == "en" || lang == "id" || lang == "vi" || lang == "jv" || lang == "su" || lang == "ms";
}
bool InBareGroup(std::string_view lang) {
  return lang == "my" || lang == "ta" || lang == "tl" || lang == "th" || lang == "lo" || lang == "km";
}

// Returns whether `word` is found as the language group requires. Languages in
// neither group match nothing and raise nothing (upstream's loop falls through).
enum class KeywordHit { kFound, kAbsent, kNoGroup };
KeywordHit FindKeyword(std::string_view lang, const std::string& word, std::string_view text) {
  if (InBoundaryGroup(lang))
    return PyRegex::Cached(R"(\b)" + word + R"(\b)", PyRegex::kIgnoreCase).Search(text) ? KeywordHit::kFound
                                                                                 : KeywordHit::kAbsent;
  if (InBareGroup(lang)) return PyRegex::Cached(word).Search(text) ? KeywordHit::kFound : KeywordHit::kAbsent;
  return KeywordHit::kNoGroup;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// 12. No word-boundary check: "Tweets" starts with "tweet".
const RegisterIfevalCheck kFirstWord(kSea, "startend:first_word",
    {{"first_word"}, {}, [](const IfevalCheckInput& in) {
       return StartsWith(py::Lower(py::Strip(in.response)), py::Lower(KwString(in.kwargs, "first_word")));
     }});

// 13. Trailing quotes are not removed (unlike Google's checker).
const RegisterIfevalCheck kEndChecker(kSea, "startend:end_checker",
    {{"end_phrase"}, {}, [](const IfevalCheckInput& in) {
       return EndsWith(py::Lower(py::Strip(in.response)), py::Lower(KwString(in.kwargs, "end_phrase")));
     }});

// 14. Wrapped in ASCII double quotes with non-blank content.
const RegisterIfevalCheck kQuotation(kSea, "startend:quotation",
    {{}, {}, [](const IfevalCheckInput& in) {
       const std::string t = py::Strip(in.response);
       return StartsWith(t, "\"") && EndsWith(t, "\"") && !py::IsBlank(py::StripChars(t, U"\""));
     }});

// 15. Every keyword present.
const RegisterIfevalCheck kExistence(kSea, "keywords:existence",
    {{"keywords"}, {}, [](const IfevalCheckInput& in) {
       for (const auto& w : KwStringList(in.kwargs, "keywords"))
         if (FindKeyword(in.lang, w, in.response) == KeywordHit::kAbsent) return false;
       return true;
     }});

// 16. No forbidden word present.
const RegisterIfevalCheck kForbidden(kSea, "keywords:forbidden_words",
    {{"forbidden_words"}, {}, [](const IfevalCheckInput& in) {
       for (const auto& w : KwStringList(in.kwargs, "forbidden_words"))
         if (FindKeyword(in.lang, w, in.response) == KeywordHit::kFound) return false;
       return true;
     }});

// 17. Frequency: always IGNORECASE, even for the bare (no-boundary) group.
const RegisterIfevalCheck kFrequency(kSea, "keywords:frequency",
    {{"keyword", "relation", "frequency"}, {}, [](const IfevalCheckInput& in) {
       const std::string kw = KwString(in.kwargs, "keyword");
       std::string pattern;
       if (InBoundaryGroup(in.lang)) pattern = R"(\b)" + kw + R"(\b)";
       else if (InBareGroup(in.lang)) pattern = kw;
       else throw Error("keyword frequency is undefined for language " + std::string(in.lang));
       const auto n = static_cast<long long>(PyRegex::Cached(pattern, PyRegex::kIgnoreCase).Count(in.response));
       return SeaCompare(n, in.kwargs["relation"], KwInt(in.kwargs, "frequency"));
     }});

// 18. Number frequency: a plain regex count, no boundaries ("3" in "33" counts twice).
const RegisterIfevalCheck kNumberFrequency(kSea, "keywords:number_frequency",
    {{"number", "relation", "frequency"}, {}, [](const IfevalCheckInput& in) {
       const auto& v = in.kwargs["number"];
       const std::string number = v.is_string() ? v.get<std::string>() : v.dump();
       const auto n = static_cast<long long>(PyRegex::Cached(number).Count(in.response));
       return SeaCompare(n, in.kwargs["relation"], KwInt(in.kwargs, "frequency"));
     }});

// 19. The prompt, then a non-blank answer.
const RegisterIfevalCheck kRepeatPrompt(kSea, "combination:repeat_prompt",
    {{"prompt_to_repeat"}, {}, [](const IfevalCheckInput& in) {
       const std::string t = py::Lower(py::Strip(in.response));
       const std::string p = py::Lower(py::Strip(KwString(in.kwargs, "prompt_to_repeat")));
       return StartsWith(t, p) && !py::IsBlank(std::string_view(t).substr(p.size()));
     }});

// 20. Exactly two non-blank parts around "******"; they may be identical.
const RegisterIfevalCheck kTwoResponses(kSea, "combination:two_responses",
    {{}, {}, [](const IfevalCheckInput& in) {
       const std::string t = py::Strip(in.response);
       static const std::u32string punct = py::Decode(py::kAsciiPunctuation);
       int kept = 0;
       size_t pos = 0;
       while (true) {
         const size_t k = t.find("******", pos);
         const std::string_view part = std::string_view(t).substr(pos, k == std::string::npos ? std::string::npos : k - pos);
         kept += !py::StripChars(py::Strip(part), punct).empty();
         if (k == std::string::npos) break;
         pos = k + 6;
       }
       return kept == 2;
     }});

// 21. Response language: "id" also accepts "ms" (but "ms" accepts only "ms").
const RegisterIfevalCheck kResponseLanguage(kSea, "language:response_language",
    {{"response_language"}, {}, [](const IfevalCheckInput& in) {
       if (!in.detector) throw Error("no language detector");
       std::string text(in.response);
       for (char& c : text) if (c == '\n') c = ' ';
       const std::string got = in.detector->Detect(text).lang;
       const std::string want = KwString(in.kwargs, "response_language");
       if (want == "id") return got == "id" || got == "ms";
       return got == want;
     }});

}  // namespace
}  // namespace bhasa::metrics
