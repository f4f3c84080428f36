// SEA-IFEval checkers, part 1: length constraints, detectable content and
// detectable format (spec A.3 rows 1-11). Registered at static-init time.
#include <map>

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/ifeval_pyjson.h"
#include "metrics/ifeval_pyregex.h"
#include "metrics/ifeval_pytext.h"
#include "metrics/ifeval_registry.h"

namespace bhasa::metrics {
namespace {

constexpr IfevalFamily kSea = IfevalFamily::kSea;

bool IsNoSpaceLang(std::string_view lang) {
  return lang == "th" || lang == "lo" || lang == "km" || lang == "my";
}

bool NonBlank(std::string_view s) { return !py::IsBlank(s); }

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// Python's str.split(sep) for a non-empty literal separator.
std::vector<std::string> SplitLiteral(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t k = s.find(sep, pos);
    if (k == std::string_view::npos) break;
    out.emplace_back(s.substr(pos, k - pos));
    pos = k + sep.size();
  }
  out.emplace_back(s.substr(pos));
  return out;
}

// 1. Words are runs of Python `\w` (isalnum or '_'); marks split words.
const RegisterIfevalCheck kNumberWords(kSea, "length_constraints:number_words",
    {{"relation", "num_words"}, {}, [](const IfevalCheckInput& in) {
       if (IsNoSpaceLang(in.lang))
         throw Error("number_words should not be run for language " + std::string(in.lang));
       return SeaCompare(static_cast<long long>(CountPyWords(in.response)), in.kwargs["relation"],
                         KwInt(in.kwargs, "num_words"));
     }});

// 2. Sentences are separated by "***"; only '*' is stripped from the ends.
const RegisterIfevalCheck kNumberSentences(kSea, "length_constraints:number_sentences",
    {{"relation", "num_sentences"}, {}, [](const IfevalCheckInput& in) {
       long long n = 0;
       for (const auto& s : SplitLiteral(py::StripChars(in.response, U"*"), "***")) n += NonBlank(s);
       return SeaCompare(n, in.kwargs["relation"], KwInt(in.kwargs, "num_sentences"));
     }});

// 3. Paragraphs: blank pieces are dropped (not failed), the count must be equal.
const RegisterIfevalCheck kNumberParagraphs(kSea, "length_constraints:number_paragraphs",
    {{"num_paragraphs"}, {}, [](const IfevalCheckInput& in) {
       static const PyRegex re(R"(\s?\*\*\*\s?)");
       long long n = 0;
       for (const auto& p : re.Split(in.response)) n += NonBlank(p);
       return n == KwInt(in.kwargs, "num_paragraphs");
     }});

// 4. Postscript: a fixed map from marker to pattern; other markers are errors.
const RegisterIfevalCheck kPostscript(kSea, "detectable_content:postscript",
    {{"postscript_marker"}, {}, [](const IfevalCheckInput& in) {
       static const std::map<std::string, std::string> kPatterns = {
           {"P.S.", R"(\s*p\.\s?s\..*$)"},
           {"P.P.S.", R"(\s*p\.\s?p\.\s?s\..*$)"},
           {"ป.ล.", R"(\s*ป\.\s?ล\..*$)"},
           {"ป.ป.ล.", R"(\s*ป\.\s?ป\.\s?ล\..*$)"},
           {"பி.கு.", R"(\s*பி\.\s?கு\..*$)"},
           {"பி.பி.கு.", R"(\s*பி\.\s?பி\.\s?கு\..*$)"},
           {"ປ.ລ.", R"(\s*ປ\.\s?ລ\..*$)"},
       };
       const std::string marker = KwString(in.kwargs, "postscript_marker");
       auto it = kPatterns.find(marker);
       if (it == kPatterns.end()) throw Error("unknown postscript_marker '" + marker + "'");
       return PyRegex::Cached(it->second, PyRegex::kMultiline).Search(py::Lower(in.response));
     }});

// 5. Placeholders: non-greedy [..] on one line, non-empty inside.
const RegisterIfevalCheck kPlaceholders(kSea, "detectable_content:number_placeholders",
    {{"num_placeholders"}, {}, [](const IfevalCheckInput& in) {
       static const PyRegex re(R"(\[.*?\])");
       long long n = 0;
       for (const auto& m : re.FindAll(in.response))
         n += NonBlank(py::StripChars(py::StripChars(m, U"["), U"]"));
       return n >= KwInt(in.kwargs, "num_placeholders");
     }});

// 6. Title: <<...>> on one line with non-blank content.
const RegisterIfevalCheck kTitle(kSea, "detectable_format:title",
    {{}, {}, [](const IfevalCheckInput& in) {
       for (std::string_view m : FindAngleTitles(in.response))
         if (NonBlank(AngleTitleText(m))) return true;
       return false;
     }});

// 7. Bullets: "* " or "- " then (up to two '*') a non-space, non-'*' character.
const RegisterIfevalCheck kBullets(kSea, "detectable_format:number_bullet_lists",
    {{"num_bullets"}, {}, [](const IfevalCheckInput& in) {
       static const PyRegex star(R"(^\s*\* \*?\*?[^\*\n\s].*$)", PyRegex::kMultiline);
       static const PyRegex dash(R"(^\s*- \*?\*?[^\*\n\s].*$)", PyRegex::kMultiline);
       const long long n = static_cast<long long>(star.Count(in.response) + dash.Count(in.response));
       return n == KwInt(in.kwargs, "num_bullets");
     }});

// 8. Sections: the title is inserted unescaped; at least one space before the "number".
const RegisterIfevalCheck kSections(kSea, "detectable_format:multiple_sections",
    {{"section_title", "num_sections"}, {}, [](const IfevalCheckInput& in) {
       const PyRegex& re = PyRegex::Cached(R"(\b)" + KwString(in.kwargs, "section_title") + R"(\s+[\d|\w]+\b)");
       return static_cast<long long>(re.Count(in.response)) == KwInt(in.kwargs, "num_sections");
     }});

// 9. Highlights: *x* and **x** each count once (the single-star pattern finds "**" pairs empty).
const RegisterIfevalCheck kHighlights(kSea, "detectable_format:number_highlighted_sections",
    {{"num_highlights"}, {}, [](const IfevalCheckInput& in) {
       static const PyRegex single(R"(\*[^\n\*]*\*)");
       static const PyRegex twin(R"(\*\*[^\n\*]*\*\*)");
       long long n = 0;
       for (const auto& m : single.FindAll(in.response)) n += NonBlank(py::StripChars(m, U"*"));
       for (const auto& m : twin.FindAll(in.response)) n += NonBlank(py::StripChars(m, U"*"));
       return n >= KwInt(in.kwargs, "num_highlights");
     }});

// 10. JSON: at most one leading fence is removed (and then one trailing fence).
const RegisterIfevalCheck kJson(kSea, "detectable_format:json_format",
    {{}, {}, [](const IfevalCheckInput& in) {
       std::string t = py::Strip(in.response);
       for (std::string_view fence : {"```json", "```Json", "```JSON", "```"}) {
         if (StartsWith(t, fence)) {
           t.erase(0, fence.size());
           if (EndsWith(t, "```")) t.erase(t.size() - 3);
           t = py::Strip(t);
           break;
         }
       }
       return PyJsonLoads(t);
     }});

// 11. Constrained response: one of the language's three options, case-sensitive.
const RegisterIfevalCheck kConstrained(kSea, "detectable_format:constrained_response",
    {{}, {}, [](const IfevalCheckInput& in) {
       static const std::map<std::string, std::vector<std::string>> kOptions = {
           {"en", {"My answer is yes.", "My answer is no.", "My answer is maybe."}},
           {"id", {"Jawaban saya adalah ya.", "Jawaban saya adalah tidak.", "Jawaban saya adalah mungkin."}},
           {"vi", {"Câu trả lời của tôi là có.", "Câu trả lời của tôi là không.", "Câu trả lời của tôi là có thể."}},
           {"tl", {"Ang sagot ko ay oo.", "Ang sagot ko ay hindi.", "Ang sagot ko ay siguro."}},
           {"th", {"คำตอบของฉันคือใช่", "คำตอบของฉันคือไม่", "คำตอบของฉันคืออาจจะ"}},
           {"jv", {"Jawabanku ya.", "Jawabanku ora.", "Jawabanku mungkin."}},
           {"su", {"Jawapan abdi enya.", "Jawapan abdi henteu.", "Jawapan abdi meureun."}},
           {"ta", {"என்னுடைய பதில் ஆம்.", "என்னுடைய பதில் இல்லை.", "என்னுடைய பதில் ஒருவேளை இருக்கலாம்."}},
           {"ms", {"Jawapan saya ialah ya.", "Jawapan saya ialah tidak.", "Jawapan saya ialah mungkin."}},
           {"my", {"ကျွန်ုပ်၏အဖြေသည် ဟုတ်ပါတယ်။", "ကျွန်ုပ်၏အဖြေသည် မဟုတ်ပါ။",
                   "ကျွန်ုပ်၏အဖြေသည် တစ်ချို့ဖြစ်နိုင်ပါတယ်။"}},
           {"lo", {"ຄໍາຕອບຂອງຂ້ອຍແມ່ນຈິງ.", "ຄໍາຕອບຂອງຂ້ອຍແມ່ນບໍ່ຈິງ.", "ຄໍາຕອບຂອງຂ້ອຍແມ່ນອາດຈະຈິງ."}},
           {"km", {"ខ្ញុំយល់ស្រប។", "ខ្ញុំមិនយល់ស្រប។", "ខ្ញុំមិនច្បាស់ដែរ។"}},
       };
       auto it = kOptions.find(std::string(in.lang));
       if (it == kOptions.end()) throw Error("no constrained-response options for language " + std::string(in.lang));
       const std::string t = py::Strip(in.response);
       for (const auto& o : it->second)
         if (t.find(o) != std::string::npos) return true;
       return false;
     }});

}  // namespace
}  // namespace bhasa::metrics
