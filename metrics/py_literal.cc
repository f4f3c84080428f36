#include "metrics/py_literal.h"

#include <algorithm>

#include <unicode/utf8.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "common/pystr.h"
#include "metrics/ifeval_pytext.h"
#include "metrics/py_ignorecase.h"

namespace bhasa::metrics {
namespace {

// Python regex syntax; a pattern holding any of these goes to ICU.
constexpr std::u32string_view kMeta = U".^$*+?{}[]\\|()";
constexpr std::u32string_view kBoundary = U"\\b";

bool WordAt(std::string_view t, size_t pos) {
  if (pos >= t.size()) return false;
  const auto b = static_cast<unsigned char>(t[pos]);
  if (b < 0x80) return IsPyWordChar(b);
  const auto* s = reinterpret_cast<const uint8_t*>(t.data());
  auto i = static_cast<int32_t>(pos);
  UChar32 c;
  U8_NEXT(s, i, static_cast<int32_t>(t.size()), c);
  return c >= 0 && IsPyWordChar(static_cast<char32_t>(c));
}

bool WordBefore(std::string_view t, size_t pos) {
  if (pos == 0) return false;
  const auto b = static_cast<unsigned char>(t[pos - 1]);
  if (b < 0x80) return IsPyWordChar(b);
  const auto* s = reinterpret_cast<const uint8_t*>(t.data());
  auto i = static_cast<int32_t>(pos);
  UChar32 c;
  U8_PREV(s, 0, i, c);
  return c >= 0 && IsPyWordChar(static_cast<char32_t>(c));
}

}  // namespace

size_t FindAnyByteScalar(std::string_view text, size_t from, std::span<const unsigned char> bytes) {
  for (size_t i = from; i < text.size(); ++i)
    if (std::find(bytes.begin(), bytes.end(), static_cast<unsigned char>(text[i])) != bytes.end()) return i;
  return text.size();
}

size_t FindAnyByte(std::string_view text, size_t from, std::span<const unsigned char> bytes) {
  size_t i = from;
#if defined(__SSE2__)
  if (!bytes.empty() && bytes.size() <= 4) {
    __m128i want[4];
    for (size_t k = 0; k < 4; ++k)  // unused slots repeat the first byte
      want[k] = _mm_set1_epi8(static_cast<char>(bytes[k < bytes.size() ? k : 0]));
    for (; i + 16 <= text.size(); i += 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
      const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, want[0]), _mm_cmpeq_epi8(x, want[1])),
                                       _mm_or_si128(_mm_cmpeq_epi8(x, want[2]), _mm_cmpeq_epi8(x, want[3])));
      if (const int mask = _mm_movemask_epi8(hit)) return i + static_cast<size_t>(__builtin_ctz(mask));
    }
  }
#endif
  return FindAnyByteScalar(text, i, bytes);
}

size_t FindBytePairScalar(std::string_view text, size_t from, std::span<const unsigned char> first,
                          std::span<const unsigned char> second) {
  auto in = [](std::span<const unsigned char> set, char c) {
    return std::find(set.begin(), set.end(), static_cast<unsigned char>(c)) != set.end();
  };
  for (size_t i = from; i + 1 < text.size(); ++i)
    if (in(first, text[i]) && in(second, text[i + 1])) return i;
  return text.size();
}

size_t FindBytePairSse2(std::string_view text, size_t from, std::span<const unsigned char> first,
                        std::span<const unsigned char> second) {
  size_t i = from;
#if defined(__SSE2__)
  if (!first.empty() && first.size() <= 4 && !second.empty() && second.size() <= 4) {
    struct Wanted {
      __m128i v[4];
    };
    auto wanted = [](std::span<const unsigned char> set) {  // unused slots repeat the first byte
      Wanted w;
      for (size_t k = 0; k < 4; ++k) w.v[k] = _mm_set1_epi8(static_cast<char>(set[k < set.size() ? k : 0]));
      return w;
    };
    const Wanted f = wanted(first), s = wanted(second);
    auto hits = [](__m128i x, const Wanted& w) {
      return _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, w.v[0]), _mm_cmpeq_epi8(x, w.v[1])),
                          _mm_or_si128(_mm_cmpeq_epi8(x, w.v[2]), _mm_cmpeq_epi8(x, w.v[3])));
    };
    for (; i + 17 <= text.size(); i += 16) {
      const __m128i x0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
      const __m128i x1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i + 1));
      if (const int mask = _mm_movemask_epi8(_mm_and_si128(hits(x0, f), hits(x1, s))))
        return i + static_cast<size_t>(__builtin_ctz(mask));
    }
  }
#endif
  return FindBytePairScalar(text, i, first, second);
}

#if defined(__x86_64__)
[[gnu::target("avx2")]] size_t FindBytePairAvx2(std::string_view text, size_t from,
                                                std::span<const unsigned char> first,
                                                std::span<const unsigned char> second) {
  size_t i = from;
  if (!first.empty() && first.size() <= 4 && !second.empty() && second.size() <= 4) {
    // No lambdas here: they would not inherit the target attribute.
    __m256i f[4], s[4];
    for (size_t k = 0; k < 4; ++k) {  // unused slots repeat the first byte
      f[k] = _mm256_set1_epi8(static_cast<char>(first[k < first.size() ? k : 0]));
      s[k] = _mm256_set1_epi8(static_cast<char>(second[k < second.size() ? k : 0]));
    }
    for (; i + 33 <= text.size(); i += 32) {
      const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(text.data() + i));
      const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(text.data() + i + 1));
      const __m256i h0 = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x0, f[0]), _mm256_cmpeq_epi8(x0, f[1])),
                                         _mm256_or_si256(_mm256_cmpeq_epi8(x0, f[2]), _mm256_cmpeq_epi8(x0, f[3])));
      const __m256i h1 = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x1, s[0]), _mm256_cmpeq_epi8(x1, s[1])),
                                         _mm256_or_si256(_mm256_cmpeq_epi8(x1, s[2]), _mm256_cmpeq_epi8(x1, s[3])));
      if (const auto mask = static_cast<unsigned>(_mm256_movemask_epi8(_mm256_and_si256(h0, h1))))
        return i + static_cast<size_t>(__builtin_ctz(mask));
    }
  }
  return FindBytePairSse2(text, i, first, second);
}

bool CpuHasAvx2() {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
}
#else
size_t FindBytePairAvx2(std::string_view text, size_t from, std::span<const unsigned char> first,
                        std::span<const unsigned char> second) {
  return FindBytePairSse2(text, from, first, second);
}

bool CpuHasAvx2() { return false; }
#endif

size_t FindBytePair(std::string_view text, size_t from, std::span<const unsigned char> first,
                    std::span<const unsigned char> second) {
  return CpuHasAvx2() ? FindBytePairAvx2(text, from, first, second) : FindBytePairSse2(text, from, first, second);
}

std::optional<PyLiteralPattern> PyLiteralPattern::Parse(std::string_view pattern, bool ignore_case) {
  std::u32string p = py::Decode(pattern);
  PyLiteralPattern out;
  if (p.starts_with(kBoundary)) {
    out.boundary_before_ = true;
    p.erase(0, kBoundary.size());
  }
  if (p.ends_with(kBoundary)) {
    out.boundary_after_ = true;
    p.erase(p.size() - kBoundary.size());
  }
  if (p.empty()) return std::nullopt;
  for (char32_t c : p)
    if (kMeta.find(c) != std::u32string_view::npos || c == 0xFFFD) return std::nullopt;
  for (size_t k = 0; k < p.size(); ++k) {
    Char ch;
    for (char32_t m : ignore_case ? PyIgnoreCaseClass(p[k]) : std::u32string(1, p[k])) {
      if (m < 0x80) {
        ch.ascii.set(m);
      } else {
        std::string utf8;
        py::AppendUtf8(utf8, m);
        ch.multibyte.push_back(std::move(utf8));
      }
      if (k == 0) out.first_bytes_.set(m < 0x80 ? m : static_cast<unsigned char>(ch.multibyte.back()[0]));
    }
    out.chars_.push_back(std::move(ch));
  }
  auto list = [](const std::bitset<256>& bytes) {
    std::vector<unsigned char> l;
    if (bytes.count() <= 4)
      for (int b = 0; b < 256; ++b)
        if (bytes[static_cast<size_t>(b)]) l.push_back(static_cast<unsigned char>(b));
    return l;
  };
  out.first_list_ = list(out.first_bytes_);
  if (out.chars_.size() >= 2 && out.chars_[0].multibyte.empty() && !out.first_list_.empty()) {
    std::bitset<256> second;
    for (size_t m = 0; m < 128; ++m)
      if (out.chars_[1].ascii[m]) second.set(m);
    for (const std::string& m : out.chars_[1].multibyte) second.set(static_cast<unsigned char>(m[0]));
    out.second_list_ = list(second);
  }
  return out;
}

bool PyLiteralPattern::MatchAt(std::string_view text, size_t pos, size_t* end) const {
  for (const Char& c : chars_) {
    if (pos >= text.size()) return false;
    const auto b = static_cast<unsigned char>(text[pos]);
    if (b < 0x80) {
      if (!c.ascii[b]) return false;
      ++pos;
      continue;
    }
    bool hit = false;
    for (const std::string& m : c.multibyte) {
      if (text.compare(pos, m.size(), m) == 0) {
        pos += m.size();
        hit = true;
        break;
      }
    }
    if (!hit) return false;
  }
  *end = pos;
  return true;
}

bool PyLiteralPattern::Find(std::string_view text, size_t from, size_t* begin, size_t* end) const {
  for (size_t pos = from; pos < text.size(); ++pos) {
    if (!second_list_.empty()) {
      if ((pos = FindBytePair(text, pos, first_list_, second_list_)) == text.size()) break;
    } else if (!first_list_.empty()) {
      if ((pos = FindAnyByte(text, pos, first_list_)) == text.size()) break;
    } else if (!first_bytes_[static_cast<unsigned char>(text[pos])]) {
      continue;
    }
    size_t e;
    if (!MatchAt(text, pos, &e)) continue;
    if (boundary_before_ && WordBefore(text, pos) == WordAt(text, pos)) continue;
    if (boundary_after_ && WordBefore(text, e) == WordAt(text, e)) continue;
    *begin = pos;
    *end = e;
    return true;
  }
  return false;
}

}  // namespace bhasa::metrics
