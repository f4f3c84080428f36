#include "metrics/py_literal.h"

#include <unicode/utf8.h>

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
    if (!first_bytes_[static_cast<unsigned char>(text[pos])]) continue;
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
