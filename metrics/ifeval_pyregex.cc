#include "metrics/ifeval_pyregex.h"

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <unordered_map>

#include <cstdio>

#include <tbb/enumerable_thread_specific.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>
#include <unicode/utypes.h>

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/ifeval_pytext.h"
#include "metrics/py_ignorecase.h"

namespace bhasa::metrics {
namespace {

std::string WordClass(bool negate) {
  return std::string(negate ? "[^" : "[") + std::string(kPyWordSetBody) + "]";
}
std::string SpaceClass(bool negate) {
  return std::string(negate ? "[^" : "[") + std::string(kPySpaceSetBody) + "]";
}
std::string Boundary(bool negate) {
  const std::string w = WordClass(false);
  if (!negate) return "(?:(?<=" + w + ")(?!" + w + ")|(?<!" + w + ")(?=" + w + "))";
  return "(?:(?<=" + w + ")(?=" + w + ")|(?<!" + w + ")(?!" + w + "))";
}

std::string HexLiteral(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\x{%x}", static_cast<unsigned>(c));
  return buf;
}

bool IsAsciiDigit(char32_t c) { return c >= '0' && c <= '9'; }

int HexValue(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return -1;
}

class Translator {
 public:
  Translator(std::string_view pattern, bool ignore_case)
      : src_(pattern), p_(py::Decode(pattern)), ignore_case_(ignore_case) {}

  std::string Run() {
    while (i_ < p_.size()) {
      const char32_t c = p_[i_];
      if (c == '\\') {
        Escape();
      } else if (c == '[') {
        Class();
      } else if (c == '{') {
        Brace();
      } else if (c == '}') {
        out_ += "\\}";
        ++i_;
      } else if (c == '(' && Ahead("(?P<")) {
        out_ += "(?<";
        i_ += 4;
        CopyAsciiLetters();  // the group name
      } else if (c == '(' && Ahead("(?P=")) {
        size_t close = i_ + 4;
        while (close < p_.size() && p_[close] != ')') ++close;
        if (close >= p_.size()) Fail("missing ), unterminated name");
        out_ += "\\k<" + py::Encode(p_.substr(i_ + 4, close - i_ - 4)) + ">";
        i_ = close + 1;
      } else if (c == '(' && Ahead("(?")) {
        out_ += "(?";
        i_ += 2;
        CopyAsciiLetters();  // inline flags, never case-expanded
      } else if (ignore_case_ && PyIgnoreCaseClass(c).size() > 1) {
        out_ += PyIgnoreCaseLiteral(py::Encode(std::u32string(1, c)));
        ++i_;
      } else {
        py::AppendUtf8(out_, c);
        ++i_;
      }
    }
    return out_;
  }

 private:
  [[noreturn]] void Fail(const std::string& why) const {
    throw Error("invalid regex '" + std::string(src_) + "': " + why);
  }

  bool Ahead(std::string_view s) const {
    if (i_ + s.size() > p_.size()) return false;
    for (size_t k = 0; k < s.size(); ++k)
      if (p_[i_ + k] != static_cast<unsigned char>(s[k])) return false;
    return true;
  }

  void CopyAsciiLetters() {
    while (i_ < p_.size() && ((p_[i_] >= 'a' && p_[i_] <= 'z') || (p_[i_] >= 'A' && p_[i_] <= 'Z') ||
                              IsAsciiDigit(p_[i_]) || p_[i_] == '_' || p_[i_] == '-'))
      out_ += static_cast<char>(p_[i_++]);
  }

  void Escape() {
    if (i_ + 1 >= p_.size()) Fail("bad escape (end of pattern)");
    const char32_t e = p_[i_ + 1];
    i_ += 2;
    switch (e) {
      case 'w': out_ += WordClass(false); return;
      case 'W': out_ += WordClass(true); return;
      case 's': out_ += SpaceClass(false); return;
      case 'S': out_ += SpaceClass(true); return;
      case 'd': out_ += "\\p{Nd}"; return;
      case 'D': out_ += "\\P{Nd}"; return;
      case 'b': out_ += Boundary(false); return;
      case 'B': out_ += Boundary(true); return;
      case 'Z': out_ += "\\z"; return;
      default:
        out_ += '\\';
        py::AppendUtf8(out_, e);
    }
  }

  // Python treats '{' as a quantifier only in the forms {m} {m,} {,n} {m,n} {,};
  // anything else is a literal brace, which ICU would reject.
  void Brace() {
    size_t j = i_ + 1;
    std::string lo, hi;
    while (j < p_.size() && IsAsciiDigit(p_[j])) lo.push_back(static_cast<char>(p_[j++]));
    bool comma = false;
    if (j < p_.size() && p_[j] == ',') {
      comma = true;
      ++j;
      while (j < p_.size() && IsAsciiDigit(p_[j])) hi.push_back(static_cast<char>(p_[j++]));
    }
    const bool valid = j < p_.size() && p_[j] == '}' && (!lo.empty() || comma);
    if (!valid) {
      out_ += "\\{";
      ++i_;
      return;
    }
    out_ += "{" + (lo.empty() ? std::string("0") : lo) + (comma ? "," + hi : std::string()) + "}";
    i_ = j + 1;
  }

  // One class member: a literal code point (returns true, sets *cp) or a class
  // escape appended to `set` (returns false).
  bool ClassAtom(char32_t* cp, std::string* set) {
    const char32_t c = p_[i_];
    if (c != '\\') {
      *cp = c;
      ++i_;
      return true;
    }
    if (i_ + 1 >= p_.size()) Fail("bad escape (end of pattern)");
    const char32_t e = p_[i_ + 1];
    i_ += 2;
    switch (e) {
      case 'w': *set = WordClass(false); return false;
      case 'W': *set = WordClass(true); return false;
      case 's': *set = SpaceClass(false); return false;
      case 'S': *set = SpaceClass(true); return false;
      case 'd': *set = "\\p{Nd}"; return false;
      case 'D': *set = "\\P{Nd}"; return false;
      case 'n': *cp = '\n'; return true;
      case 't': *cp = '\t'; return true;
      case 'r': *cp = '\r'; return true;
      case 'f': *cp = '\f'; return true;
      case 'v': *cp = '\v'; return true;
      case 'a': *cp = '\a'; return true;
      case 'b': *cp = '\b'; return true;
      case 'x': case 'u': case 'U': {
        const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        char32_t v = 0;
        for (size_t k = 0; k < n; ++k) {
          if (i_ >= p_.size() || HexValue(p_[i_]) < 0) Fail("incomplete escape");
          v = v * 16 + static_cast<char32_t>(HexValue(p_[i_++]));
        }
        *cp = v;
        return true;
      }
      default:
        if (e >= '0' && e <= '7') {  // octal escape
          char32_t v = e - '0';
          for (int k = 0; k < 2 && i_ < p_.size() && p_[i_] >= '0' && p_[i_] <= '7'; ++k)
            v = v * 8 + (p_[i_++] - '0');
          *cp = v;
          return true;
        }
        *cp = e;
        return true;
    }
  }

  void Class() {
    ++i_;  // '['
    std::string body;
    bool negate = false;
    if (i_ < p_.size() && p_[i_] == '^') {
      negate = true;
      ++i_;
    }
    bool first = true;
    while (true) {
      if (i_ >= p_.size()) Fail("unterminated character set");
      if (p_[i_] == ']' && !first) {
        ++i_;
        break;
      }
      first = false;
      char32_t lo = 0;
      std::string set;
      if (!ClassAtom(&lo, &set)) {
        body += set;
        continue;
      }
      if (i_ + 1 < p_.size() && p_[i_] == '-' && p_[i_ + 1] != ']') {
        ++i_;
        char32_t hi = 0;
        std::string set2;
        if (!ClassAtom(&hi, &set2)) Fail("bad character range");
        if (hi < lo) Fail("bad character range");
        body += ignore_case_ ? PyIgnoreCaseRange(lo, hi) : HexLiteral(lo) + "-" + HexLiteral(hi);
      } else {
        body += ignore_case_ ? PyIgnoreCaseRange(lo, lo) : HexLiteral(lo);
      }
    }
    // An empty negated set never arises (Python requires one member), but an
    // ICU set must not be "[]"; a lone "]" member is already escaped above.
    out_ += std::string(negate ? "[^" : "[") + body + "]";
  }

  std::string_view src_;
  std::u32string p_;
  bool ignore_case_;
  size_t i_ = 0;
  std::string out_;
};

icu::UnicodeString U(std::string_view s) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

// U(s) with a widening loop for ASCII text, which ICU's general converter is
// several times slower at.
icu::UnicodeString Utf16Of(std::string_view s) {
  if (!std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) return U(s);
  icu::UnicodeString out;
  const auto n = static_cast<int32_t>(s.size());
  char16_t* buf = out.getBuffer(n);
  if (!buf) return U(s);
  for (int32_t i = 0; i < n; ++i) buf[i] = static_cast<char16_t>(s[static_cast<size_t>(i)]);
  out.releaseBuffer(n);
  return out;
}

std::string Utf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

}  // namespace

std::string TranslatePythonRegex(std::string_view pattern, int flags) {
  return Translator(pattern, (flags & PyRegex::kIgnoreCase) != 0).Run();
}

// One matcher per thread and pattern: creating an ICU matcher allocates its
// backtracking stack, which cost more than most matches.
struct PyRegex::Matchers {
  std::once_flag compiled;
  std::unique_ptr<icu::RegexPattern> pattern;
  tbb::enumerable_thread_specific<std::unique_ptr<icu::RegexMatcher>> per_thread;
};

// IGNORECASE lives in the translated pattern (Python's simple folding), so
// ICU always matches case-sensitively. A literal pattern is compiled only if
// some text needs ICU (invalid UTF-8): compiling cost more than its matches.
PyRegex::PyRegex(std::string_view pattern, int flags)
    : source_(pattern), icu_pattern_(TranslatePythonRegex(pattern, flags)), flags_(flags),
      matchers_(std::make_unique<Matchers>()) {
  if (!(flags & kIcuOnly)) literal_ = PyLiteralPattern::Parse(pattern, (flags & kIgnoreCase) != 0);
  if (!literal_) Pattern();  // an invalid pattern throws here
}

const icu::RegexPattern& PyRegex::Pattern() const {
  std::call_once(matchers_->compiled, [this] {
    uint32_t icu_flags = UREGEX_UNIX_LINES;
    if (flags_ & kMultiline) icu_flags |= UREGEX_MULTILINE;
    if (flags_ & kDotAll) icu_flags |= UREGEX_DOTALL;
    UErrorCode status = U_ZERO_ERROR;
    UParseError perr;
    matchers_->pattern.reset(icu::RegexPattern::compile(U(icu_pattern_), icu_flags, perr, status));
    if (U_FAILURE(status) || !matchers_->pattern)
      throw Error("invalid regex '" + source_ + "': " + u_errorName(status));
  });
  return *matchers_->pattern;
}

PyRegex::~PyRegex() = default;
PyRegex::PyRegex(PyRegex&&) noexcept = default;
PyRegex& PyRegex::operator=(PyRegex&&) noexcept = default;

namespace {

// The UTF-16 form of `text`. A row's checks run many patterns over the same
// few texts (the response and its loose variants, once per keyword), so each
// thread keeps its last conversions; a reference stays valid until this
// thread has converted kSlots other texts.
const icu::UnicodeString& Utf16(std::string_view text) {
  constexpr size_t kSlots = 16;
  struct Slot {
    std::string text;
    icu::UnicodeString utf16;
    bool filled = false;
  };
  thread_local std::array<Slot, kSlots> slots;
  thread_local size_t next = 0;
  for (Slot& s : slots)
    if (s.filled && s.text == text) return s.utf16;
  Slot& s = slots[next];
  next = (next + 1) % kSlots;
  s.text.assign(text);
  s.utf16 = Utf16Of(text);
  s.filled = true;
  return s.utf16;
}

}  // namespace

icu::RegexMatcher& PyRegex::MatcherOn(const icu::UnicodeString& text) const {
  std::unique_ptr<icu::RegexMatcher>& m = matchers_->per_thread.local();
  UErrorCode status = U_ZERO_ERROR;
  if (!m) m.reset(Pattern().matcher(text, status));
  else m->reset(text);
  if (U_FAILURE(status) || !m) throw Error(std::string("regex matcher: ") + u_errorName(status));
  return *m;
}

template <typename Fn>
void PyRegex::ForEachMatch(const icu::UnicodeString& text, Fn fn) const {
  icu::RegexMatcher& m = MatcherOn(text);
  UErrorCode status = U_ZERO_ERROR;
  while (m.find(status) && U_SUCCESS(status)) fn(m);
  if (U_FAILURE(status)) throw Error(std::string("regex match: ") + u_errorName(status));
}

bool PyRegex::Search(std::string_view text, bool valid_utf8) const {
  if (literal_ && (valid_utf8 || py::IsValidUtf8(text))) {
    size_t b, e;
    return literal_->Find(text, 0, &b, &e);
  }
  icu::RegexMatcher& m = MatcherOn(Utf16(text));
  UErrorCode status = U_ZERO_ERROR;
  const bool found = m.find(status);
  if (U_FAILURE(status)) throw Error(std::string("regex match: ") + u_errorName(status));
  return found;
}

// A literal's matches never overlap and are never empty: each search starts
// where the last match ended, as re.finditer does.
template <typename Fn>
bool PyRegex::ForEachLiteralMatch(std::string_view text, bool valid_utf8, Fn fn) const {
  if (!literal_ || !(valid_utf8 || py::IsValidUtf8(text))) return false;
  for (size_t from = 0, b, e; literal_->Find(text, from, &b, &e); from = e) fn(b, e);
  return true;
}

size_t PyRegex::Count(std::string_view text, bool valid_utf8) const {
  size_t n = 0;
  if (ForEachLiteralMatch(text, valid_utf8, [&](size_t, size_t) { ++n; })) return n;
  ForEachMatch(Utf16(text), [&](icu::RegexMatcher&) { ++n; });
  return n;
}

std::vector<std::string> PyRegex::FindAll(std::string_view text) const {
  std::vector<std::string> out;
  if (ForEachLiteralMatch(text, false, [&](size_t b, size_t e) { out.emplace_back(text.substr(b, e - b)); })) return out;
  ForEachMatch(Utf16(text), [&](icu::RegexMatcher& m) {
    UErrorCode st = U_ZERO_ERROR;
    out.push_back(Utf8(m.group(st)));
  });
  return out;
}

std::vector<std::string> PyRegex::Split(std::string_view text) const {
  std::vector<std::string> out;
  size_t last_end = 0;
  if (ForEachLiteralMatch(text, false, [&](size_t b, size_t e) {
        out.emplace_back(text.substr(last_end, b - last_end));
        last_end = e;
      })) {
    out.emplace_back(text.substr(last_end));
    return out;
  }
  const icu::UnicodeString& u = Utf16(text);
  int32_t last = 0;
  ForEachMatch(u, [&](icu::RegexMatcher& m) {
    UErrorCode st = U_ZERO_ERROR;
    const int32_t s = m.start(st), e = m.end(st);
    out.push_back(Utf8(icu::UnicodeString(u, last, s - last)));
    for (int32_t g = 1; g <= m.groupCount(); ++g) out.push_back(Utf8(m.group(g, st)));
    last = e;
  });
  out.push_back(Utf8(icu::UnicodeString(u, last)));
  return out;
}

const PyRegex& PyRegex::Cached(std::string_view pattern, int flags) {
  // Each thread first looks in its own index, so hits take no lock.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  thread_local std::array<std::unordered_map<std::string, const PyRegex*, Hash, std::equal_to<>>, 16> local;
  auto& index = local.at(static_cast<size_t>(flags));
  if (auto hit = index.find(pattern); hit != index.end()) return *hit->second;
  static std::mutex mu;
  static std::map<std::pair<std::string, int>, std::unique_ptr<PyRegex>> cache;
  std::lock_guard lock(mu);
  auto key = std::make_pair(std::string(pattern), flags);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, std::make_unique<PyRegex>(pattern, flags)).first;
  index.emplace(std::string(pattern), it->second.get());
  return *it->second;
}

}  // namespace bhasa::metrics
