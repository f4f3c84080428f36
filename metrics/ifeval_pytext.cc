#include "metrics/ifeval_pytext.h"

#include <memory>

#include <unicode/uchar.h>
#include <unicode/uniset.h>
#include <unicode/utf8.h>
#include <unicode/unistr.h>

#include "common/error.h"
#include "common/pystr.h"

namespace bhasa::metrics {
namespace {

// Built once and frozen: a frozen UnicodeSet is safe to read from any thread.
const icu::UnicodeSet& WordSet() {
  static const icu::UnicodeSet* set = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::string pat = "[" + std::string(kPyWordSetBody) + "]";
    auto* s = new icu::UnicodeSet(icu::UnicodeString::fromUTF8(pat), status);
    if (U_FAILURE(status)) throw Error("ICU cannot build the Python \\w set");
    s->freeze();
    return s;
  }();
  return *set;
}

// Python's _PyUnicode_IsLowercase/IsUppercase use the derived Lowercase and
// Uppercase properties; titlecase is category Lt.
bool PyCaseCheck(std::string_view text, bool want_upper) {
  bool cased = false;
  for (char32_t c : py::Decode(text)) {
    const bool lower = u_hasBinaryProperty(c, UCHAR_LOWERCASE);
    const bool upper = u_hasBinaryProperty(c, UCHAR_UPPERCASE);
    const bool title = u_charType(c) == U_TITLECASE_LETTER;
    if (title) return false;
    if (want_upper ? lower : upper) return false;
    if (want_upper ? upper : lower) cased = true;
  }
  return cased;
}

}  // namespace

bool IsPyWordChar(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return WordSet().contains(static_cast<UChar32>(c));
}

bool IsPyDecimal(char32_t c) { return u_charType(c) == U_DECIMAL_DIGIT_NUMBER; }

size_t CountPyWords(std::string_view text) {
  size_t n = 0;
  bool in_word = false;
  // Streamed: any ill-formed sequence reads as U+FFFD, a non-word character.
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto len = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < len;) {
    UChar32 c;
    U8_NEXT(s, i, len, c);
    const bool w = c >= 0 && IsPyWordChar(static_cast<char32_t>(c));
    if (w && !in_word) ++n;
    in_word = w;
  }
  return n;
}

bool PyIsUpper(std::string_view text) { return PyCaseCheck(text, true); }
bool PyIsLower(std::string_view text) { return PyCaseCheck(text, false); }

}  // namespace bhasa::metrics

namespace bhasa::metrics {

std::string PyLStripChars(std::string_view s, std::u32string_view chars) {
  std::u32string u = py::Decode(s);
  size_t b = 0;
  while (b < u.size() && chars.find(u[b]) != std::u32string_view::npos) ++b;
  return py::Encode(std::u32string_view(u).substr(b));
}

std::string PyRStripChars(std::string_view s, std::u32string_view chars) {
  std::u32string u = py::Decode(s);
  size_t e = u.size();
  while (e > 0 && chars.find(u[e - 1]) != std::u32string_view::npos) --e;
  return py::Encode(std::u32string_view(u).substr(0, e));
}

long long PyInt(const nlohmann::json& value, const std::string& what) {
  if (value.is_number_integer()) return value.get<long long>();
  if (value.is_number_float()) return static_cast<long long>(value.get<double>());
  if (value.is_string()) {
    const std::string s = py::Strip(value.get<std::string>());
    size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    bool ok = i < s.size();
    for (size_t k = i; k < s.size(); ++k) ok = ok && s[k] >= '0' && s[k] <= '9';
    if (ok && s.size() - i < 19) return std::stoll(s);
  }
  throw Error("kwarg '" + what + "': int() cannot convert " + value.dump());
}

}  // namespace bhasa::metrics
