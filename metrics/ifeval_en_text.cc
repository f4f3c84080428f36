#include "metrics/ifeval_en_text.h"

#include <set>

#include "common/pystr.h"

namespace bhasa::metrics {
namespace {

// A subset of the abbreviations in NLTK's punkt_tab/english parameters, the
// ones that occur in ordinary prose (lowercase, without the final period).
const std::set<std::string>& Abbreviations() {
  static const std::set<std::string> k = {
      "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "v", "etc", "e.g", "i.e", "inc", "ltd",
      "co", "corp", "u.s", "u.k", "u.n", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
      "oct", "nov", "dec", "no", "fig", "approx", "a.m", "p.m", "mt", "gen", "col", "sgt", "lt", "capt",
      "rev", "ft", "oz", "lb", "dept", "est", "vol", "ed", "al", "cf", "gov", "sen", "rep", "ave",
      "blvd", "rd", "univ", "assn", "bros", "ph.d", "m.d", "b.a", "m.a", "d.c"};
  return k;
}

bool IsClosing(char32_t c) { return c == '"' || c == '\'' || c == ')' || c == ']' || c == '}' || c == 0x201D || c == 0x2019; }
bool IsTerminal(char32_t c) { return c == '.' || c == '?' || c == '!'; }

bool StartsUpper(const std::u32string& tok) {
  for (char32_t c : tok) {
    if (c == '"' || c == '\'' || c == '(' || c == '[' || c == 0x201C || c == 0x2018) continue;
    return py::Encode(std::u32string(1, c)) != py::Lower(py::Encode(std::u32string(1, c)));
  }
  return false;
}

}  // namespace

size_t CountEnglishSentences(std::string_view text) {
  const std::vector<std::string> words = py::Split(text);
  if (words.empty()) return 0;
  size_t breaks = 0;
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    std::u32string w = py::Decode(words[i]);
    while (!w.empty() && IsClosing(w.back())) w.pop_back();
    if (w.empty() || !IsTerminal(w.back())) continue;
    if (w.back() != '.') {
      ++breaks;
      continue;
    }
    // The word before the final period, without leading punctuation.
    std::u32string body = w.substr(0, w.size() - 1);
    while (!body.empty() && !((body[0] >= 'a' && body[0] <= 'z') || (body[0] >= 'A' && body[0] <= 'Z') ||
                              (body[0] >= '0' && body[0] <= '9') || body[0] > 0x7f))
      body.erase(0, 1);
    const std::string lower = py::Lower(py::Encode(body));
    const bool initial = body.size() == 1 && body[0] < 0x80 && ((body[0] | 0x20) >= 'a' && (body[0] | 0x20) <= 'z');
    const bool dotted = lower.find('.') != std::string::npos && lower.size() <= 6;
    const bool abbrev = Abbreviations().count(lower) != 0;
    if (initial || dotted || abbrev) {
      if (lower == "etc" && StartsUpper(py::Decode(words[i + 1]))) ++breaks;
      continue;
    }
    ++breaks;
  }
  return breaks + 1;
}

std::vector<std::string> EnglishWordTokens(std::string_view text) {
  static const std::u32string kLead = U"\"'`([{\u201C\u2018";
  static const std::u32string kTrail = U".,;:!?\"')]}\u201D\u2019";
  static const std::vector<std::u32string> kSuffixes = {U"n't", U"'s", U"'re", U"'ve", U"'ll", U"'d", U"'m"};
  std::vector<std::string> out;
  for (const std::string& word : py::Split(text)) {
    std::u32string w = py::Decode(word);
    while (!w.empty() && kLead.find(w[0]) != std::u32string::npos) {
      out.push_back(py::Encode(w.substr(0, 1)));
      w.erase(0, 1);
    }
    std::vector<std::string> tail;
    while (!w.empty() && kTrail.find(w.back()) != std::u32string::npos) {
      tail.push_back(py::Encode(w.substr(w.size() - 1)));
      w.pop_back();
    }
    for (const auto& suf : kSuffixes) {
      if (w.size() <= suf.size()) continue;
      const std::u32string end = w.substr(w.size() - suf.size());
      if (py::Lower(py::Encode(end)) == py::Encode(suf)) {
        tail.push_back(py::Encode(end));
        w.erase(w.size() - suf.size());
        break;
      }
    }
    if (!w.empty()) out.push_back(py::Encode(w));
    out.insert(out.end(), tail.rbegin(), tail.rend());
  }
  return out;
}

}  // namespace bhasa::metrics
