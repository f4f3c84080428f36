#include "metrics/ifeval_pytext.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Python's \w among ASCII characters.
constexpr auto kAsciiWord = [] {
  std::array<bool, 128> t{};
  for (int c = 0; c < 128; ++c) t[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return t;
}();

constexpr uint64_t kHighBits = 0x8080808080808080ull;
constexpr uint64_t Bytes(uint64_t b) { return 0x0101010101010101ull * b; }

// 0x80 in each byte of `x` (all below 0x80) strictly between lo and hi: the
// bit trick of "hasbetween" (Sean Anderson's Bit Twiddling Hacks); no byte's
// sum or difference reaches into its neighbour.
constexpr uint64_t BytesBetween(uint64_t x, uint64_t lo, uint64_t hi) {
  return (Bytes(127 + hi) - (x & Bytes(127))) & ~x & ((x & Bytes(127)) + Bytes(127 - lo)) & kHighBits;
}

// 0x80 in each byte of ASCII `x` that is Python's \w: [0-9A-Z_a-z].
constexpr uint64_t AsciiWordBytes(uint64_t x) {
  return BytesBetween(x, '0' - 1, '9' + 1) | BytesBetween(x, 'A' - 1, 'Z' + 1) | BytesBetween(x, 'a' - 1, 'z' + 1) |
         BytesBetween(x, '_' - 1, '_' + 1);
}

// The number of bytes of `m` with 0x80 set (no other bits set): their sum,
// gathered in the top byte (no popcnt instruction on baseline x86-64).
constexpr size_t HighBitCount(uint64_t m) { return static_cast<size_t>(((m >> 7) * Bytes(1)) >> 56); }

}  // namespace

bool IsPyWordChar(char32_t c) {
  if (c < 0x80) return kAsciiWord[c];
  return WordSet().contains(static_cast<UChar32>(c));
}

bool IsPyDecimal(char32_t c) { return u_charType(c) == U_DECIMAL_DIGIT_NUMBER; }

// A popcnt clone beside the baseline one: without it std::popcount is a
// libgcc call, 2% of an English IFEval run.
[[gnu::target_clones("popcnt", "default")]] size_t CountPyWords(std::string_view text) {
  size_t n = 0;
  bool in_word = false;
  // Streamed: any ill-formed sequence reads as U+FFFD, a non-word character.
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto len = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < len;) {
#if defined(__SSE2__)
    if (i + 16 <= len) {  // sixteen ASCII bytes at a time
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
      if (_mm_movemask_epi8(x) == 0) {
        // Bytes below 0x80 compare the same signed: [0-9], [_], and the
        // letters, which are the bytes that OR 0x20 puts in [a-z].
        auto between = [](__m128i v, char lo, char hi) {
          return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                               _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
        };
        const __m128i word = _mm_or_si128(
            _mm_or_si128(between(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 'z'), between(x, '0', '9')),
            _mm_cmpeq_epi8(x, _mm_set1_epi8('_')));
        const auto w = static_cast<uint32_t>(_mm_movemask_epi8(word));
        n += static_cast<size_t>(std::popcount(w & ~((w << 1) | (in_word ? 1u : 0u))));
        in_word = (w >> 15) != 0;
        i += 16;
        continue;
      }
    }
#endif
    if (i + 8 <= len) {  // eight ASCII bytes at a time
      uint64_t x;
      std::memcpy(&x, s + i, 8);
      if (!(x & kHighBits)) {
        const uint64_t word = AsciiWordBytes(x);
        const uint64_t before = (word << 8) | (in_word ? 0x80 : 0);  // each byte's predecessor
        n += HighBitCount(word & ~before);
        in_word = (word >> 63) != 0;
        i += 8;
        continue;
      }
    }
    bool w;
    if (s[i] < 0x80) {  // most text: no decoding, no call
      w = kAsciiWord[s[i++]];
    } else {
      UChar32 c;
      U8_NEXT(s, i, len, c);
      w = c >= 0 && IsPyWordChar(static_cast<char32_t>(c));
    }
    if (w && !in_word) ++n;
    in_word = w;
  }
  return n;
}

std::vector<std::string_view> FindAngleTitles(std::string_view text) {
  std::vector<std::string_view> out;
  for (size_t i = 0; (i = text.find("<<", i)) != std::string_view::npos;) {
    const size_t line_end = std::min(text.find('\n', i + 2), text.size());
    const size_t close = text.rfind(">>", line_end - 2);  // line_end >= i + 2
    if (close != std::string_view::npos && close >= i + 3) {
      out.push_back(text.substr(i, close + 2 - i));
      i = close + 2;
    } else {
      ++i;
    }
  }
  return out;
}

// '<' and '>' are ASCII, so stripping bytes strips code points.
std::string_view AngleTitleText(std::string_view title) {
  const size_t b = std::min(title.find_first_not_of('<'), title.size());
  title.remove_prefix(b);
  const size_t e = title.find_last_not_of('>');
  return title.substr(0, e == std::string_view::npos ? 0 : e + 1);
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
