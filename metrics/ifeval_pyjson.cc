#include "metrics/ifeval_pyjson.h"

namespace bhasa::metrics {
namespace {

constexpr int kMaxDepth = 10000;

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  bool Document() {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") return false;  // "Unexpected UTF-8 BOM"
    Ws();
    if (!Value(0)) return false;
    Ws();
    return i_ == s_.size();
  }

 private:
  bool At(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool Lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  static bool Digit(char c) { return c >= '0' && c <= '9'; }
  static bool Hex(char c) { return Digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

  bool Value(int depth) {
    if (depth > kMaxDepth || i_ >= s_.size()) return false;
    switch (s_[i_]) {
      case '{': return Object(depth + 1);
      case '[': return Array(depth + 1);
      case '"': return String();
      case 'n': return Lit("null");
      case 't': return Lit("true");
      case 'f': return Lit("false");
      case 'N': return Lit("NaN");
      case 'I': return Lit("Infinity");
      case '-':
        if (s_.substr(i_, 9) == "-Infinity") { i_ += 9; return true; }
        return Number();
      default: return Number();
    }
  }

  // -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?  (CPython's scanner; a bad fraction
  // or exponent is simply not consumed, and the leftover fails as extra data).
  bool Number() {
    size_t j = i_;
    if (j < s_.size() && s_[j] == '-') ++j;
    if (j >= s_.size() || !Digit(s_[j])) return false;
    if (s_[j] == '0') ++j;
    else while (j < s_.size() && Digit(s_[j])) ++j;
    if (j + 1 < s_.size() && s_[j] == '.' && Digit(s_[j + 1])) {
      j += 2;
      while (j < s_.size() && Digit(s_[j])) ++j;
    }
    if (j < s_.size() && (s_[j] == 'e' || s_[j] == 'E')) {
      size_t k = j + 1;
      if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
      if (k < s_.size() && Digit(s_[k])) {
        while (k < s_.size() && Digit(s_[k])) ++k;
        j = k;
      }
    }
    i_ = j;
    return true;
  }

  bool String() {
    ++i_;  // opening quote
    while (i_ < s_.size()) {
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') { ++i_; return true; }
      if (c < 0x20) return false;  // "Invalid control character"
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) return false;
        const char e = s_[i_ + 1];
        if (e == 'u') {
          if (i_ + 6 > s_.size()) return false;
          for (size_t k = i_ + 2; k < i_ + 6; ++k) if (!Hex(s_[k])) return false;
          i_ += 6;
          continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't')
          return false;
        i_ += 2;
        continue;
      }
      ++i_;
    }
    return false;  // unterminated
  }

  bool Object(int depth) {
    ++i_;
    Ws();
    if (At('}')) { ++i_; return true; }
    while (true) {
      if (!At('"') || !String()) return false;
      Ws();
      if (!At(':')) return false;
      ++i_;
      Ws();
      if (!Value(depth)) return false;
      Ws();
      if (At('}')) { ++i_; return true; }
      if (!At(',')) return false;
      ++i_;
      Ws();
    }
  }

  bool Array(int depth) {
    ++i_;
    Ws();
    if (At(']')) { ++i_; return true; }
    while (true) {
      if (!Value(depth)) return false;
      Ws();
      if (At(']')) { ++i_; return true; }
      if (!At(',')) return false;
      ++i_;
      Ws();
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

bool PyJsonLoads(std::string_view text) { return Parser(text).Document(); }

}  // namespace bhasa::metrics
