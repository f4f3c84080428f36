#include "backends/native/vocab_bpe.h"

#include <unicode/uchar.h>

#include <algorithm>
#include <queue>

#include "common/error.h"
#include "common/pystr.h"

namespace bhasa::native {

namespace {

// ---- character classes --------------------------------------------------

enum : uint8_t { kLetter = 1, kNumber = 2, kSpace = 4 };

uint8_t ClassifySlow(char32_t c) {
  uint8_t f = 0;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      f |= kLetter;
      break;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      f |= kNumber;
      break;
    default:
      break;
  }
  if (u_hasBinaryProperty(static_cast<UChar32>(c), UCHAR_WHITE_SPACE)) f |= kSpace;
  return f;
}

// ASCII and Latin-1 dominate real text; a table avoids ICU calls for them.
const std::array<uint8_t, 256>& Latin1Classes() {
  static const std::array<uint8_t, 256> table = [] {
    std::array<uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = ClassifySlow(static_cast<char32_t>(c));
    return t;
  }();
  return table;
}

inline uint8_t Classify(char32_t c) { return c < 256 ? Latin1Classes()[c] : ClassifySlow(c); }

// The code points of a text with their classes; `At` past the end is 0 so
// lookahead needs no bounds checks.
class CodePoints {
 public:
  explicit CodePoints(std::string_view text) : cps_(py::Decode(text)) {
    cls_.resize(cps_.size());
    for (size_t i = 0; i < cps_.size(); ++i) cls_[i] = Classify(cps_[i]);
  }
  size_t size() const { return cps_.size(); }
  char32_t At(size_t i) const { return i < cps_.size() ? cps_[i] : 0; }
  uint8_t Cls(size_t i) const { return i < cls_.size() ? cls_[i] : 0; }
  bool Letter(size_t i) const { return Cls(i) & kLetter; }
  bool Number(size_t i) const { return Cls(i) & kNumber; }
  bool Space(size_t i) const { return Cls(i) & kSpace; }
  // [^\s\p{L}\p{N}] and inside the text.
  bool Other(size_t i) const { return i < cps_.size() && (cls_[i] & (kLetter | kNumber | kSpace)) == 0; }
  bool CrLf(size_t i) const { return At(i) == '\r' || At(i) == '\n'; }
  std::string Slice(size_t a, size_t b) const { return py::Encode(std::u32string_view(cps_).substr(a, b - a)); }

 private:
  std::u32string cps_;
  std::vector<uint8_t> cls_;
};

char32_t AsciiLower(char32_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

// Length of a contraction ('s 't 're 've 'm 'll 'd) at i, or 0.
size_t Contraction(const CodePoints& t, size_t i, bool ignore_case) {
  if (t.At(i) != '\'') return 0;
  auto norm = [&](char32_t c) { return ignore_case ? AsciiLower(c) : c; };
  char32_t a = norm(t.At(i + 1)), b = norm(t.At(i + 2));
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// The whitespace alternatives shared by both regexes, at a whitespace run
// starting at i: `\s+(?!\S)` then `\s+` (Llama 3 tries `\s*[\r\n]+` first).
size_t WhitespaceMatch(const CodePoints& t, size_t i, bool newline_rule) {
  size_t k = i;
  size_t last_newline = 0;  // one past the last \r or \n of the run
  while (t.Space(k)) {
    if (t.CrLf(k)) last_newline = k + 1;
    ++k;
  }
  if (newline_rule && last_newline > 0) return last_newline;  // \s*[\r\n]+ backtracks to the last newline
  // \s+(?!\S): at the end of text the whole run; before a non-space, give
  // the last space back to the next token (if at least one remains).
  if (k == t.size() || k - i == 1) return k;
  return k - 1;
}

// Llama 3's regex; Qwen2's is the same with max_digits 1 (\p{N} for \p{N}{1,3}).
size_t MatchLlama3(const CodePoints& t, size_t i, size_t max_digits) {
  if (size_t n = Contraction(t, i, /*ignore_case=*/true)) return i + n;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  if (t.Letter(i) || (!t.CrLf(i) && !t.Number(i) && t.Letter(i + 1))) {
    size_t j = i + 1;
    while (t.Letter(j)) ++j;
    return j;
  }
  // \p{N}{1,max_digits}
  if (t.Number(i)) {
    size_t j = i + 1;
    while (j - i < max_digits && t.Number(j)) ++j;
    return j;
  }
  //  ?[^\s\p{L}\p{N}]+[\r\n]*
  size_t j = i + (t.At(i) == ' ' ? 1 : 0);
  if (t.Other(j)) {
    while (t.Other(j)) ++j;
    while (t.CrLf(j)) ++j;
    return j;
  }
  if (t.Space(i)) return WhitespaceMatch(t, i, /*newline_rule=*/true);
  return i + 1;
}

size_t MatchGpt2(const CodePoints& t, size_t i) {
  if (size_t n = Contraction(t, i, /*ignore_case=*/false)) return i + n;
  size_t j = i + (t.At(i) == ' ' ? 1 : 0);
  if (t.Letter(j)) {  //  ?\p{L}+
    while (t.Letter(j)) ++j;
    return j;
  }
  if (t.Number(j)) {  //  ?\p{N}+
    while (t.Number(j)) ++j;
    return j;
  }
  if (t.Other(j)) {  //  ?[^\s\p{L}\p{N}]+
    while (t.Other(j)) ++j;
    return j;
  }
  if (t.Space(i)) return WhitespaceMatch(t, i, /*newline_rule=*/false);
  return i + 1;
}

// ---- GPT-2 byte alphabet -------------------------------------------------

struct ByteAlphabet {
  std::array<std::string, 256> to_chars;
  std::array<int16_t, 324> to_byte;  // code point -> byte, -1 if not in the alphabet

  ByteAlphabet() {
    to_byte.fill(-1);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char32_t c = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(next++);
      py::AppendUtf8(to_chars[b], c);
      to_byte[c] = static_cast<int16_t>(b);
    }
  }
};

const ByteAlphabet& Alphabet() {
  static const ByteAlphabet a;
  return a;
}

}  // namespace

std::vector<std::string> PreTokenize(PreTokenizer kind, std::string_view text) {
  CodePoints t(text);
  std::vector<std::string> out;
  for (size_t i = 0; i < t.size();) {
    size_t end = kind == PreTokenizer::kLlama3   ? MatchLlama3(t, i, 3)
                 : kind == PreTokenizer::kQwen2  ? MatchLlama3(t, i, 1)
                                                 : MatchGpt2(t, i);
    out.push_back(t.Slice(i, end));
    i = end;
  }
  return out;
}

const std::string& ByteToChars(uint8_t b) { return Alphabet().to_chars[b]; }

std::string ByteLevelEncode(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char b : raw) out += Alphabet().to_chars[b];
  return out;
}

std::string ByteLevelDecode(std::string_view token_text) {
  const auto& a = Alphabet();
  std::string out;
  for (char32_t c : py::Decode(token_text)) {
    if (c < a.to_byte.size() && a.to_byte[c] >= 0) out.push_back(static_cast<char>(a.to_byte[c]));
    else py::AppendUtf8(out, c);
  }
  return out;
}

std::pair<std::string_view, std::string_view> SplitMerge(std::string_view m, size_t rank) {
  size_t sp = m.find(' ', 1);
  if (sp == std::string_view::npos || sp + 1 >= m.size())
    throw Error("tokenizer merges[" + std::to_string(rank) + "]: expected \"left right\", got \"" + std::string(m) +
                "\"");
  return {m.substr(0, sp), m.substr(sp + 1)};
}

BpeModel::BpeModel(const Vocab& vocab, std::span<const std::string> merges) {
  for (int b = 0; b < 256; ++b) byte_token_[b] = vocab.Find(ByteToChars(static_cast<uint8_t>(b)));
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    auto [left, right] = SplitMerge(merges[rank], rank);
    int32_t l = vocab.Find(left), r = vocab.Find(right);
    if (l < 0 || r < 0) continue;
    std::string joined;
    joined.reserve(left.size() + right.size());
    joined.append(left).append(right);
    int32_t result = vocab.Find(joined);
    if (result < 0) continue;
    // A repeated pair keeps its first (lowest) rank.
    merges_.emplace(Key(l, r), std::make_pair(static_cast<int32_t>(rank), result));
  }
}

void BpeModel::EncodeWord(const Vocab& vocab, std::string_view word, std::vector<int32_t>* out) const {
  if (word.empty()) return;
  if (vocab.ignore_merges()) {
    int32_t id = vocab.Find(ByteLevelEncode(word));
    if (id >= 0) {
      out->push_back(id);
      return;
    }
  }
  struct Sym {
    int32_t id, prev, next;
  };
  std::vector<Sym> syms(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    int32_t id = byte_token_[static_cast<unsigned char>(word[i])];
    if (id < 0) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(word[i]));
      throw Error(std::string("tokenizer: the vocabulary has no token for byte ") + hex);
    }
    syms[i] = {id, static_cast<int32_t>(i) - 1, static_cast<int32_t>(i + 1)};
  }
  syms.back().next = -1;

  // Candidate merges, best first: lowest rank, then leftmost. Entries go
  // stale when a neighbour changes; they are checked when popped.
  struct Cand {
    int32_t rank, left, right, left_id, right_id, result;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> queue;
  auto consider = [&](int32_t l) {
    if (l < 0) return;
    int32_t r = syms[l].next;
    if (r < 0) return;
    auto it = merges_.find(Key(syms[l].id, syms[r].id));
    if (it != merges_.end())
      queue.push({it->second.first, l, r, syms[l].id, syms[r].id, it->second.second});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(syms.size()); ++i) consider(i);

  while (!queue.empty()) {
    Cand c = queue.top();
    queue.pop();
    Sym& l = syms[c.left];
    if (l.id != c.left_id || l.next != c.right || syms[c.right].id != c.right_id) continue;
    Sym& r = syms[c.right];
    l.id = c.result;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = c.left;
    r.id = -1;  // removed
    consider(l.prev);
    consider(c.left);
  }
  for (int32_t i = 0; i >= 0; i = syms[i].next) out->push_back(syms[i].id);
}

void BpeModel::Encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out) const {
  for (const std::string& word : PreTokenize(vocab.pre(), text)) EncodeWord(vocab, word, out);
}

}  // namespace bhasa::native
