// Python `str` predicates and the `re` character classes that SEA-HELM's
// IFEval checkers rely on, on UTF-8 text (Unicode 15.0 through ICU 72).
//
// Python's `\w` is str.isalnum() plus '_': letters (L*) and characters with a
// numeric type (Nd, Nl, No, ...). Combining marks (Mn, Mc) are NOT word
// characters, so Tamil "தமிழ்" splits into "தம" and "ழ". All functions are
// pure and thread-safe; invalid UTF-8 bytes read as U+FFFD.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace bhasa::metrics {

// ICU UnicodeSet body (no brackets) equal to Python's `\w`.
inline constexpr std::string_view kPyWordSetBody =
    "\\p{L}\\p{Numeric_Type=Decimal}\\p{Numeric_Type=Digit}\\p{Numeric_Type=Numeric}_";
// ICU UnicodeSet body equal to Python's `\s` / str.isspace().
inline constexpr std::string_view kPySpaceSetBody =
    "\\x{9}-\\x{d}\\x{1c}-\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}"
    "\\x{202f}\\x{205f}\\x{3000}";

bool IsPyWordChar(char32_t c);   // re `\w`
bool IsPyDecimal(char32_t c);    // re `\d`, str.isdecimal()

// len(re.findall(r"\w+", text)): the number of maximal runs of word characters.
size_t CountPyWords(std::string_view text);

// re.findall(r"<<[^\n]+>>", text), the title checks' pattern, without a regex
// engine: from each leftmost "<<", the longest match ends at the last ">>" of
// its line (at least one character after the "<<").
std::vector<std::string_view> FindAngleTitles(std::string_view text);
// The text inside a title: title.lstrip("<").rstrip(">").
std::string_view AngleTitleText(std::string_view title);

// str.isupper() / str.islower(): at least one cased character and no cased
// character of the other kind (titlecase counts against both).
bool PyIsUpper(std::string_view text);
bool PyIsLower(std::string_view text);

}  // namespace bhasa::metrics

namespace bhasa::metrics {

// str.lstrip(chars) / str.rstrip(chars) for a set of code points.
std::string PyLStripChars(std::string_view s, std::u32string_view chars);
std::string PyRStripChars(std::string_view s, std::u32string_view chars);
// Python int(value) for a JSON kwarg that is an integer, a float or a string
// of digits; throws bhasa::Error naming `what` otherwise.
long long PyInt(const nlohmann::json& value, const std::string& what);

}  // namespace bhasa::metrics
