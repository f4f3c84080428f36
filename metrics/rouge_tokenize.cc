#include "metrics/rouge_tokenize.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include <unicode/uchar.h>

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/thai_segment.h"

namespace bhasa::metrics {

namespace {

// General-category masks of the code points below U+1000 (Latin, Tamil, Thai
// ...), looked up once per process (4,096 ICU lookups, about 50 us): ICU's
// lookup per character was a tenth of ROUGE-L. A namespace-scope table, so
// the inlined lookup has no initialization guard to test.
constexpr char32_t kGcTableSize = 0x1000;

const std::array<uint32_t, kGcTableSize> kGcMasks = [] {
  std::array<uint32_t, kGcTableSize> t{};
  for (char32_t i = 0; i < kGcTableSize; ++i) t[i] = U_GET_GC_MASK(static_cast<UChar32>(i));
  return t;
}();

inline uint32_t GcMask(char32_t c) {
  return c < kGcTableSize ? kGcMasks[c] : U_GET_GC_MASK(static_cast<UChar32>(c));
}

bool IsBertControl(char32_t c) {
  if (c == U'\t' || c == U'\n' || c == U'\r') return false;
  return (GcMask(c) & U_GC_C_MASK) != 0;
}

bool IsBertWhitespace(char32_t c) {
  return c == U' ' || c == U'\t' || c == U'\n' || c == U'\r' || (GcMask(c) & U_GC_ZS_MASK) != 0;
}

bool IsBertPunctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126))
    return true;
  return (GcMask(c) & U_GC_P_MASK) != 0;
}

bool IsCjkIdeograph(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// OpenNMT's character classes: Z* separators, M* marks, L* letters, N*
// numbers (so '²', '½' and 'Ⅻ' are digits), everything else "other".
enum class CharType { kSeparator, kMark, kLetter, kNumber, kOther };

CharType OnmtType(char32_t c) {
  const uint32_t m = GcMask(c);
  if (m & U_GC_Z_MASK) return CharType::kSeparator;
  if (m & U_GC_M_MASK) return CharType::kMark;
  if (m & U_GC_L_MASK) return CharType::kLetter;
  if (m & U_GC_N_MASK) return CharType::kNumber;
  return CharType::kOther;
}

// OpenNMT never emits its own marker characters; it substitutes look-alikes.
char32_t OnmtSubstitute(char32_t c) {
  switch (c) {
    case 0x2581: return U'_';
    case 0xFFED: return U'\u25a0';
    case 0xFFE8: return U'\u2502';
    case 0xFF05: return U'%';
    case 0xFF03: return U'#';
    case 0xFF1A: return U':';
    default: return c;
  }
}

using Tokens32 = std::vector<std::u32string>;

// Appends the words of `s` split on Python whitespace (str.split()).
void SplitSpaces32(std::u32string_view s, Tokens32* out) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && py::IsSpace(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !py::IsSpace(s[j])) ++j;
    if (j > i) out->emplace_back(s.substr(i, j - i));
    i = j;
  }
}

Tokens32 BasicTokenize32(std::u32string_view text) {
  std::u32string cleaned;
  cleaned.reserve(text.size());
  for (char32_t c : text) {
    if (c == 0 || c == 0xFFFD || IsBertControl(c)) continue;
    cleaned.push_back(IsBertWhitespace(c) ? U' ' : c);
  }
  Tokens32 words, pieces, out;
  SplitSpaces32(cleaned, &words);
  for (const auto& w : words) {
    size_t start = 0;
    for (size_t i = 0; i <= w.size(); ++i) {
      if (i < w.size() && !IsBertPunctuation(w[i])) continue;
      if (i > start) pieces.emplace_back(w.substr(start, i - start));
      start = i + 1;
    }
  }
  // whitespace_tokenize(" ".join(...)) once more: pieces may hold U+2028 etc.
  for (const auto& p : pieces) SplitSpaces32(p, &out);
  return out;
}

std::vector<std::string> Encode(const Tokens32& tokens) {
  std::vector<std::string> out;
  out.reserve(tokens.size());
  for (const auto& t : tokens) out.push_back(py::Encode(t));
  return out;
}

// " ".join(BasicTokenize(text)) in one pass: the tokens are the maximal runs
// of characters that are neither Python whitespace nor BERT punctuation,
// after the controls are dropped.
enum class SanitizedAs : uint8_t { kKept, kGap, kDropped };

SanitizedAs Sanitized(char32_t c) {
  if (c == 0 || c == 0xFFFD || IsBertControl(c)) return SanitizedAs::kDropped;
  if (IsBertWhitespace(c) || py::IsSpace(c) || IsBertPunctuation(c)) return SanitizedAs::kGap;
  return SanitizedAs::kKept;
}

// Sanitized() of ASCII, where most text is: one lookup instead of four tests.
const std::array<SanitizedAs, 0x80> kSanitizedAscii = [] {
  std::array<SanitizedAs, 0x80> t{};
  for (char32_t c = 0; c < 0x80; ++c) t[c] = Sanitized(c);
  return t;
}();

std::u32string SanitizedText(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  bool gap = false;
  for (char32_t c : text) {
    const SanitizedAs as = c < 0x80 ? kSanitizedAscii[c] : Sanitized(c);
    if (as == SanitizedAs::kDropped) continue;
    if (as == SanitizedAs::kGap) {
      gap = true;
      continue;
    }
    if (gap && !out.empty()) out.push_back(U' ');
    gap = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::vector<std::string> BasicTokenize(std::string_view text) { return Encode(BasicTokenize32(py::Decode(text))); }

namespace {

// Appends the tokens to `out`, each a run of its buffer.
void OnmtAggressiveTokenize32(std::u32string_view chars, RougeTokens* out) {
  std::u32string& buf = out->chars;
  size_t start = buf.size();  // where the token being built begins
  auto flush = [&] {
    if (buf.size() > start) out->spans.emplace_back(start, buf.size() - start);
    start = buf.size();
  };
  // The state is the class of the last character placed (kSeparator: none).
  CharType state = CharType::kSeparator;
  for (size_t i = 0; i < chars.size(); ++i) {
    const char32_t c = chars[i];
    if (c < 32 || c == 0xFEFF) continue;
    // The combining marks after this character travel with it.
    size_t next = i + 1;
    while (next < chars.size() && OnmtType(chars[next]) == CharType::kMark) ++next;
    auto append_marks = [&] {
      buf.append(chars.substr(i + 1, next - i - 1));
      i = next - 1;
    };
    const CharType t = OnmtType(c);
    if (t == CharType::kSeparator) {
      flush();
      if (next == i + 1) {
        state = CharType::kSeparator;
        continue;
      }
      // A separator carrying marks becomes a token: "％0020" and the marks.
      char hex[16];
      std::snprintf(hex, sizeof hex, "%04x", static_cast<unsigned>(c));
      buf.push_back(U'\uff05');
      for (const char* h = hex; *h; ++h) buf.push_back(static_cast<char32_t>(*h));
      append_marks();
      flush();
      state = CharType::kOther;
    } else if (t == CharType::kLetter || t == CharType::kNumber) {
      // A letter after a number, or a number after a letter, starts a token.
      const CharType opposite = t == CharType::kLetter ? CharType::kNumber : CharType::kLetter;
      if (state == opposite || state == CharType::kOther) flush();
      buf.push_back(OnmtSubstitute(c));
      append_marks();
      state = t;
    } else {  // other, or a mark with nothing before it: a token of its own
      flush();
      buf.push_back(OnmtSubstitute(c));
      append_marks();
      flush();
      state = CharType::kOther;
    }
  }
  flush();
}

std::vector<std::string> Encode(const RougeTokens& tokens) {
  std::vector<std::string> out;
  out.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) out.push_back(py::Encode(tokens[i]));
  return out;
}

}  // namespace

std::vector<std::string> OnmtAggressiveTokenize(std::string_view text) {
  RougeTokens tokens;
  OnmtAggressiveTokenize32(py::Decode(text), &tokens);
  return Encode(tokens);
}

std::string SpaceCjkIdeographs(std::string_view text) {
  std::string out;
  for (char32_t c : py::Decode(text)) {
    if (IsCjkIdeograph(c)) {
      out.push_back(' ');
      py::AppendUtf8(out, c);
      out.push_back(' ');
    } else {
      py::AppendUtf8(out, c);
    }
  }
  return out;
}

std::vector<std::string> BurmeseSyllables(std::string_view text) {
  constexpr char32_t kAsat = 0x103A, kDotBelow = 0x1037, kStack = 0x1039;
  auto is_dep = [&](char32_t c) {
    return (c >= 0x102B && c <= 0x1032) || (c >= 0x1036 && c <= 0x1038) || (c >= 0x103B && c <= 0x103E) ||
           c == kAsat;
  };
  std::u32string s;
  for (char32_t c : py::Decode(text)) s.push_back(c == 0x200C ? U' ' : c);
  for (size_t i = 0; i + 1 < s.size(); ++i)
    if (s[i] == kDotBelow && s[i + 1] == kAsat) std::swap(s[i], s[i + 1]), ++i;
  std::u32string joined;
  for (char32_t c : py::Decode(py::Lower(py::Encode(s))))
    if (!py::IsSpace(c)) joined.push_back(c);

  // Basic units: each dependent sign joins the unit before it. The original
  // walks the reversed list and never tests the first character.
  std::vector<std::u32string> units(joined.size());
  for (size_t i = 0; i < joined.size(); ++i) units[i] = std::u32string(1, joined[i]);
  for (size_t i = joined.size(); i-- > 1;) {
    if (is_dep(units[i][0])) {
      units[i - 1] += units[i];
      units[i].clear();
    }
  }
  std::erase_if(units, [](const std::u32string& u) { return u.empty(); });
  // Short units holding an asat join the previous entry, which may itself be
  // an emptied slot (then the unit stays on its own, as in the original).
  for (size_t i = 1; i < units.size(); ++i) {
    if (units[i].find(kAsat) != std::u32string::npos && units[i].size() < 4) {
      units[i - 1] += units[i];
      units[i].clear();
    }
  }
  std::erase_if(units, [](const std::u32string& u) { return u.empty(); });
  // " ".join(units).replace(" ္ ", "္").split()
  std::u32string line;
  for (const auto& u : units) {
    if (!line.empty()) line.push_back(U' ');
    line += u;
  }
  const std::u32string pat = {U' ', kStack, U' '};
  std::u32string glued;
  for (size_t i = 0; i < line.size();) {
    if (line.compare(i, pat.size(), pat) == 0) {
      glued.push_back(kStack);
      i += pat.size();
    } else {
      glued.push_back(line[i++]);
    }
  }
  return py::Split(py::Encode(glued));
}

void RougeTokenize(std::string_view raw, std::string_view lang, const ThaiSegmenter* thai, RougeTokens* out) {
  out->clear();
  const std::u32string text = SanitizedText(py::Decode(py::Strip(py::Lower(raw))));
  bool segmented = false;  // th/my gave tokens, even if only empty ones
  auto add_utf8 = [&](const std::vector<std::string>& tokens) {
    segmented = !tokens.empty();
    for (const auto& t : tokens) {
      const size_t start = out->chars.size();
      for (char32_t c : py::Decode(t)) out->chars.push_back(c);
      if (out->chars.size() > start) out->spans.emplace_back(start, out->chars.size() - start);
    }
  };
  if (lang == "th") {
    if (!thai) throw Error("ROUGE-L for th needs a Thai segmenter");
    thread_local std::vector<size_t> ends;
    thai->TokenEnds(text, &ends);
    segmented = !ends.empty();
    for (size_t i = 0, prev = 0; i < ends.size(); prev = ends[i++]) {
      if (ends[i] == prev) continue;
      out->spans.emplace_back(out->chars.size(), ends[i] - prev);
      out->chars.append(std::u32string_view(text).substr(prev, ends[i] - prev));
    }
  } else if (lang == "my") {
    add_utf8(BurmeseSyllables(py::Encode(text)));
  }
  if (!segmented && !text.empty()) {
    // " ".join(onmt tokens), spaces around CJK ideographs, split(): each
    // ideograph becomes a token of its own. The tokens are split in place.
    OnmtAggressiveTokenize32(text, out);
    if (std::any_of(out->chars.begin(), out->chars.end(), IsCjkIdeograph)) {
      const std::vector<std::pair<uint32_t, uint32_t>> whole = std::move(out->spans);
      out->spans.clear();
      for (const auto& [offset, length] : whole) {
        uint32_t start = offset;
        for (uint32_t i = offset; i <= offset + length; ++i) {
          if (i < offset + length && !IsCjkIdeograph(out->chars[i])) continue;
          if (i > start) out->spans.emplace_back(start, i - start);
          if (i < offset + length) out->spans.emplace_back(i, 1);
          start = i + 1;
        }
      }
    }
  }
}

std::vector<std::string> RougeTokenize(std::string_view raw, std::string_view lang, const ThaiSegmenter* thai) {
  RougeTokens tokens;
  RougeTokenize(raw, lang, thai, &tokens);
  return Encode(tokens);
}

}  // namespace bhasa::metrics
