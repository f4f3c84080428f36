#include "backends/native/vocab_spm.h"

#include <cstdio>
#include <queue>

#include "backends/native/vocab_bpe.h"

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

SpmModel::SpmModel(const Vocab& vocab, std::span<const std::string> merges) {
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    int32_t id = vocab.Find(name);
    // Some vocabs carry raw single-byte tokens instead of <0xXX>.
    if (id < 0) id = vocab.Find(std::string(1, static_cast<char>(b)));
    byte_token_[b] = id;
  }
  by_rank_ = !merges.empty();
  merge_rank_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    auto [left, right] = SplitMerge(merges[rank], rank);
    int32_t l = vocab.Find(left), r = vocab.Find(right);
    if (l < 0 || r < 0 || vocab.Find(std::string(left).append(right)) < 0) continue;
    merge_rank_.emplace(Key(l, r), static_cast<int32_t>(rank));  // a repeated pair keeps its first rank
  }
}

void SpmModel::Encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out) const {
  if (text.empty()) return;
  const bool by_rank = by_rank_;
  struct Sym {
    int32_t prev, next;
    uint32_t start, len;  // byte span in text; len 0 = merged away
    int32_t id;           // vocab id of the span, -1 when none (by-rank only)
  };
  std::vector<Sym> syms;
  syms.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t n = std::min(Utf8Len(static_cast<unsigned char>(text[i])), text.size() - i);
    int32_t k = static_cast<int32_t>(syms.size());
    int32_t id = by_rank ? vocab.Find(text.substr(i, n)) : -1;
    syms.push_back({k - 1, k + 1, static_cast<uint32_t>(i), static_cast<uint32_t>(n), id});
    i += n;
  }
  syms.back().next = -1;

  // Best first: highest priority (score, or minus the rank), then leftmost.
  // A popped candidate is stale when either side has changed length since it
  // was pushed.
  struct Cand {
    double priority;
    int32_t left, right;
    uint32_t len;
    int32_t id;  // the merged token
    bool operator<(const Cand& o) const { return priority != o.priority ? priority < o.priority : left > o.left; }
  };
  std::priority_queue<Cand> queue;
  auto consider = [&](int32_t l) {
    if (l < 0 || syms[l].next < 0) return;
    int32_t r = syms[l].next;
    uint32_t len = syms[l].len + syms[r].len;
    if (by_rank) {
      auto it = merge_rank_.find(Key(syms[l].id, syms[r].id));
      if (syms[l].id < 0 || syms[r].id < 0 || it == merge_rank_.end()) return;
      queue.push({-static_cast<double>(it->second), l, r, len, vocab.Find(text.substr(syms[l].start, len))});
      return;
    }
    int32_t id = vocab.Find(text.substr(syms[l].start, len));
    if (id >= 0) queue.push({vocab.Score(id), l, r, len, id});
  };
  for (int32_t i = 0; i + 1 < static_cast<int32_t>(syms.size()); ++i) consider(i);

  while (!queue.empty()) {
    Cand c = queue.top();
    queue.pop();
    Sym& l = syms[c.left];
    Sym& r = syms[c.right];
    if (l.len == 0 || r.len == 0 || l.len + r.len != c.len || l.next != c.right) continue;
    l.len += r.len;
    l.id = c.id;
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
