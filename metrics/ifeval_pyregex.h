// PyRegex: Python `re` semantics for the IFEval checkers, on ICU regex.
//
// SEA-HELM inserts keywords, numbers and section titles into patterns
// unescaped, so the checkers must accept Python regex syntax and match the way
// Python 3.12 does. re2 cannot: its \w, \s, \d and \b are ASCII-only and it has
// no lookaround. The pattern is instead translated into ICU syntax:
//   \w \W \s \S \d \D  -> explicit sets equal to Python's (isalnum+'_', isspace, Nd)
//   \b \B              -> lookarounds over that \w set
//   \Z                 -> \z;  (?P<n>..) -> (?<n>..);  (?P=n) -> \k<n>
//   [...]              -> rebuilt with escaped literals ('[', '&', '-' are literal in Python)
//   {                  -> literal unless it forms a Python quantifier ({,n} -> {0,n})
// and compiled with UREGEX_UNIX_LINES, so '.', '^' and '$' know only '\n' as a
// line end, as Python does. IGNORECASE expands each literal into the class of
// characters Python treats as equal (metrics/py_ignorecase.h: 'İ' and 'ı'
// match "i", "ß" never matches "ss") and matches case-sensitively. Known
// remaining differences: an IGNORECASE backreference compares case-sensitively,
// and in MULTILINE mode '^' does not match at the very end of a text ending in '\n'.
//
// A pattern that is plain text, optionally between `\b`s (the keyword checks'
// patterns), is matched on the UTF-8 text directly (metrics/py_literal.h) and
// never reaches ICU's matcher; invalid UTF-8 text still goes to ICU.
//
// Thread-safety: a constructed PyRegex is immutable and may be shared; each
// thread matches with its own ICU matcher.
// Failure: an invalid pattern throws bhasa::Error naming the pattern (SEA-HELM
// would raise re.error and fail the task).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <unicode/uversion.h>

#include "metrics/py_literal.h"

U_NAMESPACE_BEGIN
class RegexMatcher;
class RegexPattern;
class UnicodeString;
U_NAMESPACE_END

namespace bhasa::metrics {

class PyRegex {
 public:
  // kIcuOnly matches even a literal pattern with ICU (for tests that compare the two).
  enum Flag : int { kNone = 0, kIgnoreCase = 1, kMultiline = 2, kDotAll = 4, kIcuOnly = 8 };

  explicit PyRegex(std::string_view pattern, int flags = kNone);
  ~PyRegex();
  PyRegex(PyRegex&&) noexcept;
  PyRegex& operator=(PyRegex&&) noexcept;

  // re.search(p, text) is not None. `valid_utf8`: the caller has checked
  // that `text` is valid UTF-8 (a literal pattern then skips the check).
  bool Search(std::string_view text, bool valid_utf8 = false) const;
  // len(re.findall(p, text))
  size_t Count(std::string_view text, bool valid_utf8 = false) const;
  // The whole-match texts of re.finditer (group 0, whatever the groups).
  std::vector<std::string> FindAll(std::string_view text) const;
  // re.split(p, text), capture groups included (an unmatched group gives "").
  std::vector<std::string> Split(std::string_view text) const;

  // A shared compiled regex for (pattern, flags): checkers build patterns from
  // row kwargs, and compiling the same ICU pattern per row dominated scoring time.
  // Thread-safe; the returned reference lives for the process.
  static const PyRegex& Cached(std::string_view pattern, int flags = kNone);

  // The ICU pattern the Python pattern became (for tests and error messages).
  const std::string& icu_pattern() const { return icu_pattern_; }

 private:
  struct Matchers;
  // The compiled ICU pattern, compiled on first use (thread-safe).
  const icu::RegexPattern& Pattern() const;
  // This thread's matcher, reset to `text` (which must outlive its use).
  icu::RegexMatcher& MatcherOn(const icu::UnicodeString& text) const;
  template <typename Fn>
  void ForEachMatch(const icu::UnicodeString& text, Fn fn) const;
  // fn(begin, end) for each match of a literal pattern in valid UTF-8 text;
  // false (and no calls) when ICU must match instead.
  template <typename Fn>
  bool ForEachLiteralMatch(std::string_view text, bool valid_utf8, Fn fn) const;

  std::string source_;
  std::string icu_pattern_;
  int flags_;
  std::unique_ptr<Matchers> matchers_;
  std::optional<PyLiteralPattern> literal_;
};

// Translates Python `re` syntax to ICU regex syntax (see above), with the
// case-insensitive expansion when `flags` has kIgnoreCase. Throws
// bhasa::Error on an unterminated character set or a dangling backslash.
std::string TranslatePythonRegex(std::string_view pattern, int flags = PyRegex::kNone);

}  // namespace bhasa::metrics
