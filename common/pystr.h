// Python 3 `str` semantics on UTF-8 strings: the behaviour SEA-HELM's scorers
// and prompt builders rely on (str.strip, str.split, str.lower, str.isspace).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bhasa::py {

// Decodes UTF-8; invalid sequences become U+FFFD (one per bad byte).
std::u32string Decode(std::string_view s);
// Decode into `out` (replacing what it held), reusing its capacity.
void DecodeTo(std::string_view s, std::u32string* out);
std::string Encode(std::u32string_view s);
void AppendUtf8(std::string& out, char32_t c);
bool IsValidUtf8(std::string_view s);
// Byte offset of the first invalid UTF-8 sequence, or npos.
size_t FindInvalidUtf8(std::string_view s);

// Python's str.isspace() for one code point (Unicode White_Space plus the
// bidi B/S/WS separators U+001C..U+001F; not U+200B).
bool IsSpace(char32_t c);
// s.strip() == "" (empty or all whitespace), without building the stripped copy.
bool IsBlank(std::string_view s);
// str.strip() / lstrip() / rstrip() with no argument.
std::string Strip(std::string_view s);
std::string LStrip(std::string_view s);
std::string RStrip(std::string_view s);
// Strip(s) as a byte range of `s`, which must be valid UTF-8 (then Strip
// copies exactly this range).
std::string_view StripValid(std::string_view s);
// str.strip(chars): removes any of `chars` (code points) from both ends.
std::string StripChars(std::string_view s, std::u32string_view chars);
// str.split() with no argument: runs of whitespace, no empty strings.
std::vector<std::string> Split(std::string_view s);
// str.lower(): full Unicode lowercasing (root locale, final sigma in context).
std::string Lower(std::string_view s);
// " ".join(s.split())
std::string CollapseWhitespace(std::string_view s);

// string.punctuation: the 32 ASCII punctuation characters.
inline constexpr std::string_view kAsciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
bool IsAsciiPunct(char32_t c);

// Python's str.format for the simple "{name}" fields used in prompt templates
// ("{{" and "}}" are escapes). Throws Error naming the field when it is missing.
std::string Format(std::string_view tmpl,
                   const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace bhasa::py
