#include "metrics/py_ignorecase.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>
#include <vector>

#include <unicode/uchar.h>
#include <unicode/uset.h>
#include <unicode/ustring.h>

#include "common/pystr.h"

namespace bhasa::metrics {
namespace {

// No cased code point lies above U+1FFFF (the last are Adlam's, U+1E9xx).
constexpr char32_t kCasedLimit = 0x20000;

std::u16string Utf16(UChar32 c) {
  std::u16string s;
  if (c >= 0x10000) {
    s.push_back(static_cast<char16_t>(0xD7C0 + (c >> 10)));
    s.push_back(static_cast<char16_t>(0xDC00 + (c & 0x3FF)));
  } else {
    s.push_back(static_cast<char16_t>(c));
  }
  return s;
}

// The full case mapping (upper or fold) of one code point, in UTF-16.
template <typename Map>
std::u16string FullMapping(UChar32 c, Map map) {
  const std::u16string src = Utf16(c);
  char16_t buf[16];
  UErrorCode status = U_ZERO_ERROR;
  const int32_t n = map(reinterpret_cast<UChar*>(buf), 16, reinterpret_cast<const UChar*>(src.data()),
                        static_cast<int32_t>(src.size()), &status);
  return U_SUCCESS(status) ? std::u16string(buf, static_cast<size_t>(n)) : src;
}

std::u16string FullUpper(UChar32 c) {
  return FullMapping(c, [](UChar* d, int32_t cap, const UChar* s, int32_t n, UErrorCode* st) {
    return u_strToUpper(d, cap, s, n, "", st);
  });
}
std::u16string FullFold(UChar32 c) {
  return FullMapping(c, [](UChar* d, int32_t cap, const UChar* s, int32_t n, UErrorCode* st) {
    return u_strFoldCase(d, cap, s, n, U_FOLD_CASE_DEFAULT, st);
  });
}

// Python's sre "uppercase" of a character with a multi-character uppercase
// is the first character of it ('ß' -> 'S'), so such characters are cased.
bool IsCased(char32_t c) {
  const auto i = static_cast<UChar32>(c);
  // Case_Sensitive holds every source of a simple or full case mapping: the
  // cheap test that spares the table's scan a full uppercasing per code point.
  if (!u_hasBinaryProperty(i, UCHAR_CASE_SENSITIVE)) return false;
  if (u_tolower(i) != i || u_toupper(i) != i) return true;
  const std::u16string up = FullUpper(i);
  return !up.empty() && static_cast<UChar32>(up[0]) != i && up != Utf16(i);
}

// Python's literal match: lower(x) == lower(c), or lower(x) is one of the
// extra cases of lower(c). The extra cases are lowercase characters that
// share a simple uppercase or a full case folding ('ı' and 'i' both uppercase
// to 'I'; U+1FD3 and U+0390 both fold to "ΐ") but whose lowercase differs.
class CaseTable {
 public:
  CaseTable() {
    std::map<std::u16string, std::vector<UChar32>> by_upper, by_fold;
    auto add = [&](UChar32 c) {
      if (!IsCased(static_cast<char32_t>(c))) return;
      by_lower_[u_tolower(c)].push_back(static_cast<char32_t>(c));
      if (u_tolower(c) != c) return;
      by_upper[Utf16(u_toupper(c))].push_back(c);
      by_fold[FullFold(c)].push_back(c);
    };
    // Only Case_Sensitive code points can be cased: walk the ranges of that
    // set (a few thousand code points) instead of asking each of 2^17.
    UErrorCode status = U_ZERO_ERROR;
    const USet* sensitive = u_getBinaryPropertySet(UCHAR_CASE_SENSITIVE, &status);
    if (U_SUCCESS(status)) {
      for (int32_t i = 0, n = uset_getItemCount(sensitive); i < n; ++i) {
        UChar32 lo = 0, hi = 0;
        if (uset_getItem(sensitive, i, &lo, &hi, nullptr, 0, &status) != 0) continue;  // a string, not a range
        for (UChar32 c = lo; c <= hi && c < static_cast<UChar32>(kCasedLimit); ++c) add(c);
      }
    } else {
      for (UChar32 c = 0; c < static_cast<UChar32>(kCasedLimit); ++c) add(c);
    }
    for (const auto* groups : {&by_upper, &by_fold})
      for (const auto& [key, lowers] : *groups)
        for (UChar32 a : lowers)
          for (UChar32 b : lowers)
            if (a != b) extra_[static_cast<char32_t>(a)].push_back(static_cast<char32_t>(b));
  }

  std::u32string Class(char32_t c) const {
    if (c >= kCasedLimit || !IsCased(c)) return std::u32string(1, c);
    const auto lo = static_cast<char32_t>(u_tolower(static_cast<UChar32>(c)));
    std::vector<char32_t> targets{lo};
    if (auto it = extra_.find(lo); it != extra_.end())
      targets.insert(targets.end(), it->second.begin(), it->second.end());
    std::u32string out;
    for (char32_t t : targets)
      if (auto it = by_lower_.find(t); it != by_lower_.end()) out.append(it->second.begin(), it->second.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  std::unordered_map<char32_t, std::u32string> by_lower_;
  std::unordered_map<char32_t, std::vector<char32_t>> extra_;
};

const CaseTable& Table() {
  static const CaseTable table;
  return table;
}

std::string Hex(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\x{%x}", static_cast<unsigned>(c));
  return buf;
}

// An ASCII letter or digit is written as itself; anything else as \x{..},
// which is a literal in RE2 and ICU alike, inside a class or outside.
std::string Atom(char32_t c) {
  const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return plain ? std::string(1, static_cast<char>(c)) : Hex(c);
}

}  // namespace

std::u32string PyIgnoreCaseClass(char32_t c) { return Table().Class(c); }

std::string PyIgnoreCaseLiteral(std::string_view literal) {
  std::string out;
  for (char32_t c : py::Decode(literal)) {
    const std::u32string cls = PyIgnoreCaseClass(c);
    if (cls.size() == 1) {
      out += Atom(c);
      continue;
    }
    out += '[';
    for (char32_t m : cls) out += Atom(m);
    out += ']';
  }
  return out;
}

std::string PyIgnoreCaseRange(char32_t lo, char32_t hi) {
  std::string out = Atom(lo) + (hi > lo ? "-" + Atom(hi) : std::string());
  // Cased members add their classes; a wide range's uncased bulk is covered
  // by the range itself.
  for (char32_t c = lo; c <= hi && c < kCasedLimit; ++c) {
    if (!IsCased(c)) continue;
    for (char32_t m : PyIgnoreCaseClass(c))
      if (m < lo || m > hi) out += Atom(m);
  }
  return out;
}

}  // namespace bhasa::metrics
