// Python `re.IGNORECASE` for literal characters, as a case-sensitive pattern.
//
// Python's sre compares simple lowercase mappings plus a short list of extra
// equivalences (re._compiler._EXTRA_CASES): 'İ' (U+0130) lowercases to 'i',
// 'ı' (U+0131) and 'ſ' (U+017F) are equal to 'i' and 's', and there is no
// full case folding ('ß' never matches "ss"). Neither RE2 nor ICU folds that
// way, so every scorer that matches case-insensitively expands each literal
// into the class of characters Python treats as equal and then matches
// case-sensitively. tests/parity/py_ignorecase_classes.txt, written by Python
// itself, pins the classes.
//
// Thread-safety: all functions are pure; the table behind them is built once.
#pragma once

#include <string>
#include <string_view>

namespace bhasa::metrics {

// The code points a case-insensitive Python literal `c` matches, ascending;
// {c} itself for an uncased character.
std::u32string PyIgnoreCaseClass(char32_t c);

// A pattern fragment, valid in both RE2 and ICU syntax, that matches exactly
// what `re.escape(literal)` matches under re.IGNORECASE; for instance "hari"
// becomes "[Hh][Aa][Rr][Ii\x{130}\x{131}]" (written with \x{..} escapes).
std::string PyIgnoreCaseLiteral(std::string_view literal);

// The members of a character-class body (no brackets) matching what the range
// lo..hi matches inside a Python set under re.IGNORECASE.
std::string PyIgnoreCaseRange(char32_t lo, char32_t hi);

}  // namespace bhasa::metrics
