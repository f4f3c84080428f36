#include "backends/native/vocab_spm.h"

#include <cstdio>
#include <queue>

namespace bhasa::native {

namespace {

// Byte length of the UTF-8 sequence whose lead byte is c; stray
// continuation bytes count as one symbol each.
size_t Utf8Len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string SpmEscapeSpaces(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == ' ') out += kSpmSpace;
    else out.push_back(c);
  }
  return out;
}

std::string SpmUnescapeSpaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, kSpmSpace.size()) == kSpmSpace) {
      out.push_back(' ');
      i += kSpmSpace.size();
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

int ParseByteToken(std::string_view t) {
  if (t.size() != 6 || t[0] != '<' || t[1] != '0' || t[2] != 'x' || t[5] != '>') return -1;
  int hi = HexDigit(t[3]), lo = HexDigit(t[4]);
  return (hi < 0 || lo < 0) ? -1 : hi * 16 + lo;
}

SpmModel::SpmModel(const Vocab& vocab) {
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    int32_t id = vocab.Find(name);
    // Some vocabs carry raw single-byte tokens instead of <0xXX>.
    if (id < 0) id = vocab.Find(std::string(1, static_cast<char>(b)));
    byte_token_[b] = id;
  }
}

void SpmModel::Encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out) const {
  if (text.empty()) return;
  struct Sym {
    int32_t prev, next;
    uint32_t start, len;  // byte span in text; len 0 = merged away
  };
  std::vector<Sym> syms;
  syms.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t n = std::min(Utf8Len(static_cast<unsigned char>(text[i])), text.size() - i);
    int32_t k = static_cast<int32_t>(syms.size());
    syms.push_back({k - 1, k + 1, static_cast<uint32_t>(i), static_cast<uint32_t>(n)});
    i += n;
  }
  syms.back().next = -1;

  // Best first: highest score, then leftmost. A popped candidate is stale
  // when either side has changed length since it was pushed.
  struct Cand {
    float score;
    int32_t left, right;
    uint32_t len;
    bool operator<(const Cand& o) const { return score != o.score ? score < o.score : left > o.left; }
  };
  std::priority_queue<Cand> queue;
  auto consider = [&](int32_t l) {
    if (l < 0 || syms[l].next < 0) return;
    int32_t r = syms[l].next;
    uint32_t len = syms[l].len + syms[r].len;
    int32_t id = vocab.Find(text.substr(syms[l].start, len));
    if (id >= 0) queue.push({vocab.Score(id), l, r, len});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(syms.size()); ++i) consider(i);

  while (!queue.empty()) {
    Cand c = queue.top();
    queue.pop();
    Sym& l = syms[c.left];
    Sym& r = syms[c.right];
    if (l.len == 0 || r.len == 0 || l.len + r.len != c.len || l.next != c.right) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = c.left;
    consider(l.prev);
    consider(c.left);
  }

  for (int32_t i = 0; i >= 0; i = syms[i].next) {
    std::string_view piece = text.substr(syms[i].start, syms[i].len);
    int32_t id = vocab.Find(piece);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    for (unsigned char b : piece) {
      int32_t bt = byte_token_[b] >= 0 ? byte_token_[b] : vocab.unk();
      if (bt >= 0) out->push_back(bt);
    }
  }
}

}  // namespace bhasa::native
