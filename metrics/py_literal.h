// A Python regex that is plain text, optionally between `\b`s, matched on
// UTF-8 without a regex engine.
//
// The IFEval keyword checks build such patterns from row kwargs ("nasi",
// r"\bgoreng\b", under re.IGNORECASE), and ICU's matcher over a UTF-16 copy
// of each response cost more than the rest of the row. Each literal character
// becomes the UTF-8 forms of the characters Python treats as equal to it
// (metrics/py_ignorecase.h), and `\b` tests Python's `\w` on the code points
// either side, so a match is where Python's `re` finds one.
//
// Thread-safety: immutable once parsed.
#pragma once

#include <bitset>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bhasa::metrics {

// The first position at or after `from` in `text` whose byte is one of
// `bytes` (one to four values), or text.size(): sixteen bytes a step with
// SSE2 where the target has it. FindAnyByteScalar is its plain twin.
size_t FindAnyByte(std::string_view text, size_t from, std::span<const unsigned char> bytes);
size_t FindAnyByteScalar(std::string_view text, size_t from, std::span<const unsigned char> bytes);

// The first position i at or after `from` with text[i] one of `first` and
// text[i + 1] one of `second` (one to four values each), or text.size(): a
// pattern's first two bytes rule out far more places than its first alone.
// FindBytePairScalar is its plain twin.
size_t FindBytePair(std::string_view text, size_t from, std::span<const unsigned char> first,
                    std::span<const unsigned char> second);
size_t FindBytePairScalar(std::string_view text, size_t from, std::span<const unsigned char> first,
                          std::span<const unsigned char> second);
// FindBytePair's per-target scans (16 and 32 bytes a step); FindBytePair
// takes the AVX2 one where the CPU has it. Exposed for the tests.
size_t FindBytePairSse2(std::string_view text, size_t from, std::span<const unsigned char> first,
                        std::span<const unsigned char> second);
size_t FindBytePairAvx2(std::string_view text, size_t from, std::span<const unsigned char> first,
                        std::span<const unsigned char> second);
bool CpuHasAvx2();

class PyLiteralPattern {
 public:
  // The literal form of `pattern`, or nullopt when it has any regex syntax
  // besides one leading and one trailing `\b` (or is empty, or holds U+FFFD,
  // which ICU's decoding of invalid text could produce).
  static std::optional<PyLiteralPattern> Parse(std::string_view pattern, bool ignore_case);

  // The first match starting at byte `from` or later in `text`, which must be
  // valid UTF-8 with `from` on a character boundary: sets [*begin, *end).
  bool Find(std::string_view text, size_t from, size_t* begin, size_t* end) const;

 private:
  // One literal character: the ASCII bytes and the longer UTF-8 forms it matches.
  struct Char {
    std::bitset<128> ascii;
    std::vector<std::string> multibyte;
  };
  bool MatchAt(std::string_view text, size_t pos, size_t* end) const;

  std::vector<Char> chars_;
  std::bitset<256> first_bytes_;  // lead bytes a match can start with
  std::vector<unsigned char> first_list_;  // the same, when there are at most four
  // When every form of the first character is one ASCII byte: the bytes the
  // second character can start with, when there are at most four.
  std::vector<unsigned char> second_list_;
  bool boundary_before_ = false, boundary_after_ = false;
};

}  // namespace bhasa::metrics
