#include "common/pystr.h"

#include <array>
#include <cstdint>
#include <cstring>

#include <simdjson.h>
#include <unicode/unistr.h>
#include <unicode/locid.h>
#include <unicode/locid.h>
#include <unicode/uchar.h>

#include "common/error.h"

namespace bhasa::py {

namespace {

// Length of a valid UTF-8 sequence starting at s[i], or 0 if invalid.
size_t SeqLen(std::string_view s, size_t i, char32_t* out) {
  unsigned char c = s[i];
  if (c < 0x80) { *out = c; return 1; }
  size_t n;
  char32_t cp;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = s[i + k];
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  *out = cp;
  return n;
}

}  // namespace

void DecodeTo(std::string_view s, std::u32string* out) {
  out->clear();
  out->reserve(s.size());
  size_t i = 0;
  // ASCII eight bytes at a time: the common case of most scored text.
  for (uint64_t chunk; i + 8 <= s.size(); i += 8) {
    std::memcpy(&chunk, s.data() + i, 8);
    if (chunk & 0x8080808080808080ull) break;
    const size_t at = out->size();
    out->resize(at + 8);
    for (size_t k = 0; k < 8; ++k) (*out)[at + k] = static_cast<unsigned char>(s[i + k]);
  }
  while (i < s.size()) {
    char32_t cp;
    size_t n = SeqLen(s, i, &cp);
    if (n == 0) { out->push_back(0xFFFD); ++i; }
    else { out->push_back(cp); i += n; }
  }
}

std::u32string Decode(std::string_view s) {
  std::u32string out;
  DecodeTo(s, &out);
  return out;
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) out.push_back(static_cast<char>(c));
  else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string Encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) AppendUtf8(out, c);
  return out;
}

size_t FindInvalidUtf8(std::string_view s) {
  // simdjson's validator (the same rules: no overlong forms, surrogates or
  // code points past U+10FFFF) answers the common case, valid text, many
  // bytes at a time; the loop below finds where invalid text goes wrong.
  if (simdjson::validate_utf8(s.data(), s.size())) return std::string_view::npos;
  for (size_t i = 0; i < s.size();) {
    // ASCII runs, eight bytes at a time.
    uint64_t word;
    if (i + 8 <= s.size() && (std::memcpy(&word, s.data() + i, 8), (word & 0x8080808080808080ull) == 0)) {
      i += 8;
      continue;
    }
    char32_t cp;
    size_t n = SeqLen(s, i, &cp);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

bool IsValidUtf8(std::string_view s) { return FindInvalidUtf8(s) == std::string_view::npos; }

bool IsSpace(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D:
    case 0x1C: case 0x1D: case 0x1E: case 0x1F: case 0x20:
    case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

namespace {
// Bit c of the pair is whether ASCII character c is in string.punctuation.
constexpr std::array<uint64_t, 2> kAsciiPunctBits = [] {
  std::array<uint64_t, 2> bits{};
  for (const char c : kAsciiPunctuation) bits[c >> 6] |= uint64_t{1} << (c & 63);
  return bits;
}();
}  // namespace

bool IsAsciiPunct(char32_t c) { return c < 0x80 && (kAsciiPunctBits[c >> 6] >> (c & 63)) & 1; }

namespace {

// The stripped byte range of valid UTF-8 `s`, found without decoding the middle.
template <typename Pred>
std::string_view StripValidIf(std::string_view s, bool left, bool right, Pred pred) {
  size_t b = 0, e = s.size();
  char32_t cp;
  if (left)
    for (size_t n; b < e && (n = SeqLen(s, b, &cp)) && pred(cp);) b += n;
  if (right)
    while (e > b) {
      size_t start = e - 1;
      while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
      SeqLen(s, start, &cp);
      if (!pred(cp)) break;
      e = start;
    }
  return s.substr(b, e - b);
}

template <typename Pred>
std::string StripIf(std::string_view s, bool left, bool right, Pred pred) {
  // Valid UTF-8 (nearly always): a byte range of the input. Invalid bytes
  // must come back as U+FFFD.
  if (IsValidUtf8(s)) return std::string(StripValidIf(s, left, right, pred));
  std::u32string u = Decode(s);
  size_t b = 0, e = u.size();
  if (left) while (b < e && pred(u[b])) ++b;
  if (right) while (e > b && pred(u[e - 1])) --e;
  return Encode(std::u32string_view(u).substr(b, e - b));
}

}  // namespace

bool IsBlank(std::string_view s) {
  char32_t cp;
  for (size_t i = 0, n; i < s.size(); i += n)
    if (!(n = SeqLen(s, i, &cp)) || !IsSpace(cp)) return false;  // a bad byte reads as U+FFFD
  return true;
}

std::string Strip(std::string_view s) { return StripIf(s, true, true, IsSpace); }
std::string LStrip(std::string_view s) { return StripIf(s, true, false, IsSpace); }
std::string RStrip(std::string_view s) { return StripIf(s, false, true, IsSpace); }
std::string_view StripValid(std::string_view s) { return StripValidIf(s, true, true, IsSpace); }
std::string StripChars(std::string_view s, std::u32string_view chars) {
  return StripIf(s, true, true, [&](char32_t c) { return chars.find(c) != std::u32string_view::npos; });
}

std::vector<std::string> Split(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  for (char32_t c : Decode(s)) {
    if (IsSpace(c)) {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      AppendUtf8(cur, c);
      in_word = true;
    }
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

std::string CollapseWhitespace(std::string_view s) {
  std::string out;
  for (const auto& w : Split(s)) {
    if (!out.empty()) out.push_back(' ');
    out += w;
  }
  return out;
}

namespace {

// ASCII and well-formed characters of the Thai block (U+0E00-U+0E7F, bytes
// E0 B8|B9 80-BF), which has no case: such text lowers without ICU.
bool IsAsciiOrThai(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
    } else if (c == 0xE0 && i + 2 < s.size() && (s[i + 1] == '\xB8' || s[i + 1] == '\xB9') &&
               (static_cast<unsigned char>(s[i + 2]) & 0xC0) == 0x80) {
      i += 3;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string Lower(std::string_view s) {
  if (IsAsciiOrThai(s)) {
    std::string out(s);
    for (auto& c : out) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  u.toLower(icu::Locale::getRoot());
  std::string out;
  u.toUTF8String(out);
  return out;
}

std::string Format(std::string_view tmpl, const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  out.reserve(tmpl.size() * 2);
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c == '{') {
      if (i + 1 < tmpl.size() && tmpl[i + 1] == '{') { out.push_back('{'); ++i; continue; }
      size_t close = tmpl.find('}', i);
      if (close == std::string_view::npos) throw Error("prompt template: unmatched '{'");
      std::string name(tmpl.substr(i + 1, close - i - 1));
      bool found = false;
      for (const auto& [k, v] : fields) {
        if (k == name) { out += v; found = true; break; }
      }
      if (!found) throw Error("prompt template: no value for field '{" + name + "}'");
      i = close;
    } else if (c == '}') {
      if (i + 1 < tmpl.size() && tmpl[i + 1] == '}') ++i;
      out.push_back('}');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace bhasa::py
