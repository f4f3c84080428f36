#include "metrics/thai_segment.h"

#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <span>

#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "common/error.h"
#include "common/fs.h"
#include "common/pystr.h"

namespace bhasa::metrics {

namespace {

// ---- Thai Character Clusters ------------------------------------------------
// pythainlp's TCC rules, written in its own shorthand: c = a consonant
// [ก-ฮ], t = an optional tone mark [่-๋]?, k = an optional final cluster
// (c c? [ุูิ]? ์)?, L = the lookahead (?=[เ-ไก-ฮ]|$). The rules are tried in
// order and the first that matches wins, as with Python's alternation.
constexpr const char32_t* kTccRules[] = {
    U"เc็ck",   U"เcctาะk", U"เccีtยะk", U"เccีtยLk", U"เcc็ck",   U"เcิc์ck", U"เcิtck",
    U"เcีtยะ?k", U"เcืtอะ?k", U"เc[ิีุู]tยLk", U"เctา?ะ?k", U"cัtวะk",   U"c[ัื]tc[ุิะ]?k",
    U"c[ิุู]์",   U"c[ะ-ู]tk", U"cรรc์",    U"c็",       U"ct[ะาำ]?k", U"ck",        U"แc็c",
    U"แcc์",    U"แctะ",    U"แcc็c",    U"แccc์",   U"โctะ",     U"[เ-ไ]ct",  U"ก็",
    U"อึ",      U"หึ"};

struct Node {
  enum Kind { kSet, kGroup, kLookahead } kind = kSet;
  std::vector<std::pair<char32_t, char32_t>> ranges;  // kSet / kLookahead
  std::array<uint64_t, 2> thai_bits{};  // `ranges` over U+0E00-U+0E7F, where the text mostly is
  bool optional = false;
  std::vector<Node> children;  // kGroup
  bool Has(char32_t c) const {
    if (const char32_t d = c - 0x0E00; d < 128) return (thai_bits[d >> 6] >> (d & 63)) & 1;
    for (auto [lo, hi] : ranges)
      if (c >= lo && c <= hi) return true;
    return false;
  }
};

Node SetNode(std::vector<std::pair<char32_t, char32_t>> r, bool optional = false) {
  Node n;
  n.ranges = std::move(r);
  n.optional = optional;
  for (auto [lo, hi] : n.ranges)
    for (char32_t c = std::max<char32_t>(lo, 0x0E00); c <= std::min<char32_t>(hi, 0x0E7F); ++c)
      n.thai_bits[(c - 0x0E00) >> 6] |= uint64_t{1} << ((c - 0x0E00) & 63);
  return n;
}

constexpr std::pair<char32_t, char32_t> kConsonants{U'ก', U'ฮ'};

std::vector<Node> ParseRule(std::u32string_view r) {
  std::vector<Node> out;
  for (size_t i = 0; i < r.size(); ++i) {
    char32_t ch = r[i];
    if (ch == U'c') {
      out.push_back(SetNode({kConsonants}));
    } else if (ch == U't') {
      out.push_back(SetNode({{U'่', U'๋'}}, true));
    } else if (ch == U'k') {
      Node g;
      g.kind = Node::kGroup;
      g.optional = true;
      g.children = {SetNode({kConsonants}), SetNode({kConsonants}, true),
                    SetNode({{U'ู', U'ู'}, {U'ุ', U'ุ'}, {U'ิ', U'ิ'}}, true), SetNode({{U'์', U'์'}})};
      out.push_back(std::move(g));
    } else if (ch == U'L') {
      Node n = SetNode({{U'เ', U'ไ'}, kConsonants});
      n.kind = Node::kLookahead;
      out.push_back(std::move(n));
    } else if (ch == U'?') {
      out.back().optional = true;
    } else if (ch == U'[') {
      std::vector<std::pair<char32_t, char32_t>> ranges;
      for (++i; r[i] != U']'; ++i) {
        if (i + 2 < r.size() && r[i + 1] == U'-' && r[i + 2] != U']') {
          ranges.push_back({r[i], r[i + 2]});
          i += 2;
        } else {
          ranges.push_back({r[i], r[i]});
        }
      }
      out.push_back(SetNode(std::move(ranges)));
    } else {
      out.push_back(SetNode({{ch, ch}}));
    }
  }
  return out;
}

// What to match after a node: a non-owning reference to a lambda on the stack
// of the caller (std::function would allocate for every group tried).
class Cont {
 public:
  template <class F>
  Cont(const F& f)  // NOLINT: implicit, lambdas are passed as they are
      : fn_(&f), call_([](const void* fn, size_t pos) { return (*static_cast<const F*>(fn))(pos); }) {}
  bool operator()(size_t pos) const { return call_(fn_, pos); }

 private:
  const void* fn_;
  bool (*call_)(const void*, size_t);
};

// The text a TCC match reads, remembering the furthest position it looked
// at (its character, or that the text ends before it): the match depends on
// nothing past that.
class TccText {
 public:
  explicit TccText(std::u32string_view s) : s_(s) {}
  bool EndsBy(size_t i) const {
    last_ = std::max(last_, i);
    return i >= s_.size();
  }
  char32_t At(size_t i) const {  // i < size
    last_ = std::max(last_, i);
    return s_[i];
  }
  size_t last() const { return last_; }

 private:
  std::u32string_view s_;
  mutable size_t last_ = 0;
};

// Backtracking match of nodes[i..] at `pos`, greedy first, like Python's sre.
bool MatchNodes(const std::vector<Node>& nodes, size_t i, size_t pos, const TccText& text, Cont cont) {
  if (i == nodes.size()) return cont(pos);
  const Node& n = nodes[i];
  switch (n.kind) {
    case Node::kLookahead: {
      // `$` also matches before a final "\n".
      const bool at_end = text.EndsBy(pos) || (text.EndsBy(pos + 1) && text.At(pos) == U'\n');
      const bool ok = at_end || n.Has(text.At(pos));
      return ok && MatchNodes(nodes, i + 1, pos, text, cont);
    }
    case Node::kGroup: {
      const auto rest = [&](size_t p) { return MatchNodes(nodes, i + 1, p, text, cont); };
      if (MatchNodes(n.children, 0, pos, text, rest)) return true;
      return n.optional && MatchNodes(nodes, i + 1, pos, text, cont);
    }
    case Node::kSet:
      if (!text.EndsBy(pos) && n.Has(text.At(pos)) && MatchNodes(nodes, i + 1, pos + 1, text, cont))
        return true;
      return n.optional && MatchNodes(nodes, i + 1, pos, text, cont);
  }
  return false;
}

const std::vector<std::vector<Node>>& TccPatterns() {
  static const auto* kPatterns = [] {
    auto* v = new std::vector<std::vector<Node>>;
    for (const char32_t* r : kTccRules) v->push_back(ParseRule(r));
    return v;
  }();
  return *kPatterns;
}

// Whether rule `pat` can match at a character `c` (false only when its
// first node is a required set without c).
bool MayStartWith(const std::vector<Node>& pat, char32_t c) {
  const Node& first = pat.front();
  return first.kind != Node::kSet || first.optional || first.Has(c);
}

// For each character of the Thai block, the rules that may start with it, in
// rule order: most positions have two or three candidates out of 29.
constexpr char32_t kThaiBlock = 0x0E00, kThaiBlockSize = 0x80;

const std::array<std::vector<uint8_t>, kThaiBlockSize>& RulesByThaiChar() {
  static const auto* kRules = [] {
    auto* t = new std::array<std::vector<uint8_t>, kThaiBlockSize>;
    const auto& patterns = TccPatterns();
    for (char32_t c = 0; c < kThaiBlockSize; ++c)
      for (size_t r = 0; r < patterns.size(); ++r)
        if (MayStartWith(patterns[r], kThaiBlock + c)) (*t)[c].push_back(static_cast<uint8_t>(r));
    return t;
  }();
  return *kRules;
}

// Length of the first TCC rule match at `pos`, or 0.
size_t TccMatchAt(const TccText& text, size_t pos) {
  size_t end = 0;
  const auto done = [&](size_t p) {
    end = p;
    return true;
  };
  const auto& patterns = TccPatterns();
  if (!text.EndsBy(pos) && text.At(pos) - kThaiBlock < kThaiBlockSize) {
    for (uint8_t r : RulesByThaiChar()[text.At(pos) - kThaiBlock])
      if (MatchNodes(patterns[r], 0, pos, text, done)) return end - pos;
    return 0;
  }
  for (const auto& pat : patterns) {
    if (text.EndsBy(pos) ? pat.front().kind == Node::kSet && !pat.front().optional : !MayStartWith(pat, text.At(pos)))
      continue;
    if (MatchNodes(pat, 0, pos, text, done)) return end - pos;
  }
  return 0;
}

// The Thai characters the rules cannot tell apart, as one class each: two
// characters every set of every rule holds both or neither of match alike
// wherever they stand (most consonants are one class). Classes are numbered
// from 1, in the order of their first character.
struct ThaiCharClasses {
  std::array<uint8_t, kThaiBlockSize> of{};
  unsigned count = 0;

  ThaiCharClasses() {
    std::vector<const Node*> sets;
    struct Collect {
      static void Of(const std::vector<Node>& nodes, std::vector<const Node*>* out) {
        for (const Node& n : nodes) {
          if (n.kind == Node::kGroup) Of(n.children, out);
          else out->push_back(&n);
        }
      }
    };
    for (const auto& pat : TccPatterns()) Collect::Of(pat, &sets);
    std::map<std::vector<bool>, uint8_t> by_membership;
    for (char32_t d = 0; d < kThaiBlockSize; ++d) {
      std::vector<bool> membership;
      for (const Node* n : sets) membership.push_back(n->Has(kThaiBlock + d));
      of[d] = by_membership.emplace(membership, static_cast<uint8_t>(by_membership.size() + 1)).first->second;
    }
    count = static_cast<unsigned>(by_membership.size());
  }
};

// TccMatchAt through a per-thread decision tree over what the rules can see
// at each position from the match's start: past the end, the class of a Thai
// character, '\n' (the lookahead's end-of-text test reads it), or anything
// else. The edge for the last position a match read holds the match, which
// every text beginning with that path has: a match that read k positions is
// k edges deep, so the same syllables, which recur all through a text, are
// matched once, and each step of a lookup reads one edge.
class TccTree {
 public:
  explicit TccTree(std::u32string_view text) : text_(text), stride_(Classes().count + 3) {
    if (nodes_.empty()) nodes_.assign(stride_, kNone);  // the root
    classes_.resize(text.size());
    const ThaiCharClasses& classes = Classes();
    for (size_t i = 0; i < text.size(); ++i) {
      const char32_t d = text[i] - kThaiBlock;
      classes_[i] = d < kThaiBlockSize ? classes.of[d]
                    : text[i] == U'\n' ? static_cast<uint8_t>(classes.count + 1)
                                       : static_cast<uint8_t>(classes.count + 2);
    }
  }

  size_t MatchAt(size_t pos) {
    size_t node = 0;
    for (size_t depth = 0;; ++depth) {
      const uint32_t edge = nodes_[node * stride_ + ClassAt(pos + depth)];
      if (edge == kNone) return Grow(pos, node, depth);
      if (edge & kMatch) return edge & ~kMatch;
      node = edge;
    }
  }

 private:
  // An edge holds a node, a match (kMatch | its length), or kNone.
  static constexpr uint32_t kNone = ~uint32_t{0}, kMatch = uint32_t{1} << 31;
  static constexpr size_t kMaxNodes = size_t{1} << 12;  // then the tree starts over (most texts need a few hundred)

  static const ThaiCharClasses& Classes() {
    static const ThaiCharClasses kClasses;
    return kClasses;
  }

  unsigned ClassAt(size_t i) const { return i < classes_.size() ? classes_[i] : 0; }  // 0: past the end

  // Matches afresh and adds the path below `node` (at `depth`), ending in an
  // edge that holds the match.
  size_t Grow(size_t pos, size_t node, size_t depth) {
    const TccText reader(text_);
    const size_t length = TccMatchAt(reader, pos), read = reader.last() - pos;  // read >= depth
    if (nodes_.size() / stride_ + read > kMaxNodes) {
      nodes_.assign(stride_, kNone);
      node = depth = 0;
    }
    for (; depth < read; ++depth) {
      const uint32_t fresh = static_cast<uint32_t>(nodes_.size() / stride_);
      nodes_[node * stride_ + ClassAt(pos + depth)] = fresh;
      nodes_.resize(nodes_.size() + stride_, kNone);
      node = fresh;
    }
    nodes_[node * stride_ + ClassAt(pos + read)] = kMatch | static_cast<uint32_t>(length);
    return length;
  }

  std::u32string_view text_;
  const size_t stride_;  // per node: an edge per class
  static thread_local std::vector<uint32_t> nodes_;
  static thread_local std::vector<uint8_t> classes_;  // of each character of the text
};

thread_local std::vector<uint8_t> TccTree::classes_;
thread_local std::vector<uint32_t> TccTree::nodes_;

// ---- newmm helpers ----------------------------------------------------------

bool IsPyDigit(char32_t c) { return u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER; }
bool IsAsciiLetterOrDash(char32_t c) { return c == U'-' || (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z'); }

// Length of `\d+([,.]\d+)*` at pos (0 if none).
size_t NumberRunAt(std::u32string_view t, size_t pos, const std::u32string_view seps) {
  size_t i = pos;
  while (i < t.size() && IsPyDigit(t[i])) ++i;
  if (i == pos) return 0;
  while (i + 1 < t.size() && seps.find(t[i]) != std::u32string_view::npos && IsPyDigit(t[i + 1])) {
    i += 1;
    while (i < t.size() && IsPyDigit(t[i])) ++i;
  }
  return i - pos;
}

// pythainlp newmm _PAT_NONTHAI.match(text[pos:]).end(), or 0.
size_t NonThaiMatchAt(std::u32string_view t, size_t pos) {
  if (pos >= t.size()) return 0;
  size_t i = pos;
  while (i < t.size() && IsAsciiLetterOrDash(t[i])) ++i;
  if (i > pos) return i - pos;
  if (size_t n = NumberRunAt(t, pos, U",."); n > 0) return n;
  while (i < t.size() && (t[i] == U' ' || t[i] == U'\t')) ++i;
  if (i > pos) return i - pos;
  if (t[pos] == U'\n') return 1;
  if (t[pos] == U'\r' && pos + 1 < t.size() && t[pos + 1] == U'\n') return 2;
  auto other = [](char32_t c) { return !(c >= 0x0E00 && c <= 0x0E7F) && c != U' ' && c != U'\t' && c != U'\r' && c != U'\n'; };
  while (i < t.size() && other(t[i])) ++i;
  return i - pos;
}

constexpr size_t kMaxGraphSize = 50;

std::vector<std::string> ToUtf8(std::u32string_view text, const std::vector<size_t>& cuts) {
  std::vector<std::string> out;
  size_t prev = 0;
  for (size_t c : cuts) {
    out.push_back(py::Encode(text.substr(prev, c - prev)));
    prev = c;
  }
  return out;
}

}  // namespace

std::vector<size_t> TccEnds(std::u32string_view text, bool cached) {
  std::vector<size_t> ends;
  if (cached) {
    TccTree tree(text);
    for (size_t p = 0; p < text.size();) ends.push_back(p += std::max<size_t>(tree.MatchAt(p), 1));
    return ends;
  }
  const TccText reader(text);
  for (size_t p = 0; p < text.size();) {
    const size_t n = TccMatchAt(reader, p);
    ends.push_back(p += n ? n : 1);
  }
  return ends;
}

namespace {

// pythainlp rejoin_formatted_num over tokens given by their lengths in the
// joined text `original`: calls take(i) for each token i in order, and
// close() after the last token of each output token (an output token may
// take none, as in the original).
template <class Take, class Close>
void MergeFormattedNumbers(std::u32string_view original, std::span<const size_t> lens, Take take, Close close) {
  // Matches of (\d+[.,:])+\d+, leftmost and greedy as re.finditer.
  std::vector<std::pair<size_t, size_t>> matches;
  for (size_t i = 0; i < original.size();) {
    if (!IsPyDigit(original[i])) {
      ++i;
      continue;
    }
    size_t run = 0;
    while (i + run < original.size() && IsPyDigit(original[i + run])) ++run;
    size_t n = NumberRunAt(original, i, U".,:");
    if (n > run) {
      matches.push_back({i, i + n});
      i += n;
    } else {
      i += run;
    }
  }
  size_t pos = 0, idx = 0, m = 0;
  while (idx < lens.size() && m < matches.size()) {
    if (pos >= matches[m].first) {
      while (pos < matches[m].second && idx < lens.size()) {
        take(idx);
        pos += lens[idx];
        ++idx;
      }
      close();
      ++m;
    } else {
      take(idx);
      close();
      pos += lens[idx];
      ++idx;
    }
  }
  for (; idx < lens.size(); ++idx) {
    take(idx);
    close();
  }
}

// RejoinFormattedNumbers on the token ends (code points) of `text`.
void RejoinFormattedNumberEnds(std::u32string_view text, std::vector<size_t>* ends) {
  thread_local std::vector<size_t> lens, merged;
  lens.clear();
  for (size_t i = 0, prev = 0; i < ends->size(); prev = (*ends)[i++]) lens.push_back((*ends)[i] - prev);
  merged.clear();
  size_t end = 0;
  MergeFormattedNumbers(text, lens, [&](size_t i) { end += lens[i]; }, [&] { merged.push_back(end); });
  ends->swap(merged);
}

}  // namespace

std::vector<std::string> RejoinFormattedNumbers(const std::vector<std::string>& tokens) {
  std::u32string original;
  std::vector<size_t> lens;
  for (const auto& t : tokens) {
    auto u = py::Decode(t);
    lens.push_back(u.size());
    original += u;
  }
  std::vector<std::string> out;
  std::string joined;
  MergeFormattedNumbers(
      original, lens, [&](size_t i) { joined += tokens[i]; },
      [&] {
        out.push_back(std::move(joined));
        joined.clear();
      });
  return out;
}

void ThaiSegmenter::TokenEnds(std::u32string_view text, std::vector<size_t>* ends) const {
  ends->clear();
  size_t end = 0;
  for (const auto& t : Segment(py::Encode(text))) ends->push_back(end += py::Decode(t).size());
}

// ---- ICU ---------------------------------------------------------------------

namespace {

class IcuThaiSegmenter : public ThaiSegmenter {
 public:
  std::vector<std::string> Segment(std::string_view text) const override {
    std::vector<std::string> out;
    if (text.empty()) return out;
    thread_local std::unique_ptr<icu::BreakIterator> bi;
    if (!bi) {
      UErrorCode status = U_ZERO_ERROR;
      bi.reset(icu::BreakIterator::createWordInstance(icu::Locale("th"), status));
      if (U_FAILURE(status) || !bi) throw Error("ICU Thai word break iterator unavailable");
    }
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), text.size()));
    bi->setText(u);
    int32_t start = bi->first();
    for (int32_t end = bi->next(); end != icu::BreakIterator::DONE; start = end, end = bi->next()) {
      std::string piece;
      u.tempSubStringBetween(start, end).toUTF8String(piece);
      out.push_back(std::move(piece));
    }
    return RejoinFormattedNumbers(out);
  }
};

}  // namespace

std::unique_ptr<ThaiSegmenter> MakeIcuThaiSegmenter() { return std::make_unique<IcuThaiSegmenter>(); }

// ---- newmm -------------------------------------------------------------------

// Built breadth-first from the sorted word list, so node k's children are
// appended when k is visited and every node's children are one contiguous,
// sorted range of edges; edge e leads to node e + 1 (each node but the root
// is made by its edge). A walk is a chain of dependent loads through a trie
// larger than the caches, so each step reads as few places as it can: the
// node's record (its edges' start, whether it ends a word, its table), then
// either its table or its edges. Nodes with many children (the root and the
// first levels, where most steps are) have a table over the Thai block from
// character to edge; the others' few edges are searched.
struct NewmmSegmenter::Trie {
  struct Node {
    uint32_t first = 0;  // edges out of node k: [nodes[k].first, nodes[k + 1].first)
    uint32_t info = 0;   // table index + 1 (0: none) << 1 | whether the node ends a word
  };
  std::vector<Node> nodes;      // and one past the last, for the end of the last range
  std::vector<char32_t> edges;  // the edge's character
  static constexpr char32_t kBlock = 0x0E00, kBlockSize = 0x80;
  static constexpr size_t kTableChildren = 8;  // nodes with fewer are searched
  std::vector<uint8_t> tables;  // table t, character c: the edge's offset in the node's range + 1, or 0
  // The node two Thai characters lead to from the root (0: none), so the
  // first two steps of a walk, which every walk takes, do not wait on each other.
  std::vector<uint32_t> after_two;

  // `sorted`: the words are known to be in order (DecodeWords says when).
  Trie(std::vector<std::u32string_view> words, bool sorted) {
    if (!sorted && !std::is_sorted(words.begin(), words.end())) std::sort(words.begin(), words.end());
    struct Pending {
      size_t lo, hi, depth;  // the words [lo, hi) share this node's prefix of `depth` characters
    };
    std::vector<Pending> pending{{0, words.size(), 0}};
    // At most a node per character of the list: room for all, so nothing is
    // copied as the arrays grow (pages never written cost nothing).
    size_t chars = 0;
    for (const auto w : words) chars += w.size();
    pending.reserve(chars + 1);
    nodes.reserve(chars + 2);
    edges.reserve(chars);
    for (size_t k = 0; k < pending.size(); ++k) {
      auto [lo, hi, depth] = pending[k];
      Node node;
      node.first = static_cast<uint32_t>(edges.size());
      while (lo < hi && words[lo].size() == depth) {  // sorted: the prefix itself comes first
        node.info = 1;
        ++lo;
      }
      while (lo < hi) {
        const char32_t c = words[lo][depth];
        size_t next = lo + 1;
        while (next < hi && words[next][depth] == c) ++next;
        edges.push_back(c);
        pending.push_back({lo, next, depth + 1});
        lo = next;
      }
      nodes.push_back(node);
    }
    nodes[0].info = 0;  // the empty word is no word
    nodes.push_back({static_cast<uint32_t>(edges.size()), 0});
    for (size_t k = 0; k + 1 < nodes.size(); ++k) {
      const size_t children = nodes[k + 1].first - nodes[k].first;
      if (children < kTableChildren || children > 255) continue;
      nodes[k].info |= static_cast<uint32_t>(tables.size() / kBlockSize + 1) << 1;
      tables.resize(tables.size() + kBlockSize, 0);
      uint8_t* table = &tables[tables.size() - kBlockSize];
      for (uint32_t e = nodes[k].first; e < nodes[k + 1].first; ++e)
        if (const char32_t d = edges[e] - kBlock; d < kBlockSize)
          table[d] = static_cast<uint8_t>(e - nodes[k].first + 1);
    }
    after_two.assign(kBlockSize * kBlockSize, 0);
    for (char32_t a = 0; a < kBlockSize; ++a)
      if (const uint32_t one = Child(0, kBlock + a); one != 0)
        for (char32_t b = 0; b < kBlockSize; ++b) after_two[a * kBlockSize + b] = Child(one, kBlock + b);
  }

  // The node that node `cur` leads to by character `c`, or 0 for none.
  uint32_t Child(uint32_t cur, char32_t c) const {
    const Node& n = nodes[cur];
    if (const uint32_t t = n.info >> 1; t != 0 && c - kBlock < kBlockSize) {
      const uint8_t o = tables[(t - 1) * kBlockSize + (c - kBlock)];
      return o == 0 ? 0 : n.first + o;  // edge first + o - 1 leads to node first + o
    }
    const auto lo = edges.begin() + n.first, hi = edges.begin() + nodes[cur + 1].first;
    const auto it = std::lower_bound(lo, hi, c);
    return it == hi || *it != c ? 0 : static_cast<uint32_t>(it - edges.begin()) + 1;
  }

  // Lengths of the words that are prefixes of text[pos:], shortest first.
  void Prefixes(std::u32string_view text, size_t pos, std::vector<size_t>* out) const {
    out->clear();
    uint32_t cur = 0;
    size_t i = pos;
    if (pos + 1 < text.size() && text[pos] - kBlock < kBlockSize && text[pos + 1] - kBlock < kBlockSize) {
      const uint32_t one = Child(0, text[pos]);
      if (one == 0) return;
      const uint32_t two = after_two[(text[pos] - kBlock) * kBlockSize + (text[pos + 1] - kBlock)];
      if (nodes[one].info & 1) out->push_back(1);
      if (two == 0) return;
      if (nodes[two].info & 1) out->push_back(2);
      cur = two;
      i = pos + 2;
    }
    for (; i < text.size(); ++i) {
      cur = Child(cur, text[i]);
      if (cur == 0) break;
      if (nodes[cur].info & 1) out->push_back(i + 1 - pos);
    }
  }
};

namespace {

// A word list decoded into one buffer: the words are views of `chars`.
struct DecodedWords {
  std::u32string chars;
  std::vector<std::u32string_view> words;
  bool sorted = false;  // known to be in code point order
};

// The words stripped (str.strip()), decoded, empty ones left out. They are
// sorted as bytes first, which for UTF-8 is code point order: they stay
// sorted unless stripping or invalid bytes (`valid_utf8` false: not known to
// have none) changed the order. The
// sort compares the first sixteen bytes as two numbers before any memcmp.
DecodedWords DecodeWords(std::span<const std::string_view> list, bool valid_utf8) {
  struct Keyed {
    uint64_t head[2];  // the first sixteen bytes, big-endian, zero past the end
    std::string_view word;
    bool operator<(const Keyed& o) const {
      if (head[0] != o.head[0]) return head[0] < o.head[0];
      return head[1] != o.head[1] ? head[1] < o.head[1] : word < o.word;
    }
  };
  std::vector<Keyed> keyed;
  keyed.reserve(list.size());
  size_t bytes = 0;
  for (const auto w : list) {
    Keyed k{{0, 0}, w};
    for (size_t i = 0; i < 16; ++i)
      k.head[i / 8] = k.head[i / 8] << 8 | (i < w.size() ? static_cast<unsigned char>(w[i]) : 0);
    keyed.push_back(k);
    bytes += w.size();
  }
  std::sort(keyed.begin(), keyed.end());
  DecodedWords out;
  out.chars.reserve(bytes);  // no more code points than bytes: one allocation
  std::vector<std::pair<size_t, size_t>> spans;
  spans.reserve(keyed.size());
  std::u32string u;
  bool stripped = false;
  for (const auto& k : keyed) {
    py::DecodeTo(k.word, &u);
    size_t b = 0, e = u.size();
    while (b < e && py::IsSpace(u[b])) ++b;
    while (e > b && py::IsSpace(u[e - 1])) --e;
    stripped |= b > 0 || e < u.size();
    if (e == b) continue;
    spans.emplace_back(out.chars.size(), e - b);
    out.chars.append(u, b, e - b);
  }
  out.words.reserve(spans.size());
  for (const auto& [at, n] : spans) out.words.push_back(std::u32string_view(out.chars).substr(at, n));
  out.sorted = valid_utf8 && !stripped;
  return out;
}

}  // namespace

NewmmSegmenter::NewmmSegmenter(const std::vector<std::string>& words)
    : trie_([&] {
        const std::vector<std::string_view> list(words.begin(), words.end());
        const DecodedWords decoded = DecodeWords(list, false);
        return std::make_unique<Trie>(decoded.words, decoded.sorted);
      }()) {}
NewmmSegmenter::NewmmSegmenter(std::unique_ptr<Trie> trie) : trie_(std::move(trie)) {}
NewmmSegmenter::~NewmmSegmenter() = default;

std::unique_ptr<NewmmSegmenter> NewmmSegmenter::FromFile(const std::string& path) {
  std::string data = ReadFile(path);
  if (size_t bad = py::FindInvalidUtf8(data); bad != std::string::npos)
    throw FileError(path, 0, "invalid UTF-8 at byte " + std::to_string(bad) + " in the Thai word list");
  std::vector<std::string_view> lines;
  const std::string_view all(data);
  size_t start = 0;
  while (start <= all.size()) {
    size_t nl = all.find('\n', start);
    if (nl == std::string_view::npos) nl = all.size();
    lines.push_back(all.substr(start, nl - start));
    start = nl + 1;
  }
  const DecodedWords decoded = DecodeWords(lines, true);  // validated above
  return std::unique_ptr<NewmmSegmenter>(new NewmmSegmenter(std::make_unique<Trie>(decoded.words, decoded.sorted)));
}

std::vector<std::string> NewmmSegmenter::Segment(std::string_view utf8) const {
  const std::u32string text = py::Decode(utf8);
  std::vector<size_t> ends;
  TokenEnds(text, &ends);
  return ToUtf8(text, ends);
}

void NewmmSegmenter::TokenEnds(std::u32string_view text, std::vector<size_t>* cuts) const {
  cuts->clear();
  if (text.empty()) return;
  const size_t n = text.size();
  // Scratch reused across calls on this thread: segmentation runs per row and
  // would otherwise spend much of its time allocating these.
  constexpr size_t kUnseen = static_cast<size_t>(-1);
  thread_local struct Scratch {
    std::vector<uint8_t> valid;
    std::vector<std::vector<size_t>> graph;  // graph[v]: the word ends reachable from position v
    std::vector<size_t> parent;              // BFS parents; kUnseen outside a search
    std::vector<size_t> queue, lens, lens2, path;
  } scratch;
  auto& valid = scratch.valid;
  valid.assign(n + 1, 0);
  for (size_t e : TccEnds(text)) valid[e] = 1;
  auto& graph = scratch.graph;
  if (graph.size() < n + 1) graph.resize(n + 1);
  for (size_t v = 0; v <= n; ++v) graph[v].clear();
  auto& parent = scratch.parent;
  parent.assign(n + 1, kUnseen);
  auto& queue = scratch.queue;
  auto& lens = scratch.lens;
  auto& lens2 = scratch.lens2;

  // Positions still to expand, ascending and distinct (a handful at a time).
  std::vector<size_t> pos_list{0};
  auto insert_pos = [&](size_t p) {
    auto it = std::lower_bound(pos_list.begin(), pos_list.end(), p);
    if (it == pos_list.end() || *it != p) pos_list.insert(it, p);
  };
  size_t graph_size = 0, end_pos = 0;

  // Each search resets the parents it touched.
  auto bfs_path = [&](size_t start, size_t goal) -> const std::vector<size_t>& {
    queue.assign(1, start);
    auto& path = scratch.path;
    path.assign(1, goal);
    bool found = false;
    for (size_t qi = 0; qi < queue.size() && !found; ++qi) {
      size_t v = queue[qi];
      for (size_t next : graph[v]) {
        if (next == goal) {
          for (size_t p = v; p != start; p = parent[p]) path.push_back(p);
          found = true;
          break;
        }
        if (parent[next] == kUnseen) {
          parent[next] = v;
          queue.push_back(next);
        }
      }
    }
    for (size_t v : queue) parent[v] = kUnseen;
    std::reverse(path.begin(), path.end());
    return path;
  };

  while (!pos_list.empty() && pos_list.front() < n) {
    size_t begin = pos_list.front();
    pos_list.erase(pos_list.begin());
    trie_->Prefixes(text, begin, &lens);
    for (size_t len : lens) {
      size_t cand = begin + len;
      if (!valid[cand]) continue;
      graph[begin].push_back(cand);
      ++graph_size;
      insert_pos(cand);
      if (graph_size > kMaxGraphSize) break;
    }
    if (pos_list.size() == 1) {
      for (size_t p : bfs_path(end_pos, *pos_list.begin())) {
        cuts->push_back(p);
        end_pos = p;
      }
      graph_size = 0;
    } else if (pos_list.empty()) {
      size_t m = NonThaiMatchAt(text, begin);
      if (m > 0) {
        end_pos = begin + m;
      } else {
        end_pos = n;
        for (size_t pos = begin + 1; pos < n; ++pos) {
          if (!valid[pos]) continue;
          trie_->Prefixes(text, pos, &lens2);
          bool thai_word = false;
          for (size_t len : lens2) {
            bool two_consonants = len <= 2;
            for (size_t k = 0; k < len && two_consonants; ++k)
              two_consonants = text[pos + k] >= U'ก' && text[pos + k] <= U'ฮ';
            if (valid[pos + len] && !two_consonants) {
              thai_word = true;
              break;
            }
          }
          if (thai_word || NonThaiMatchAt(text, pos) > 0) {
            end_pos = pos;
            break;
          }
        }
      }
      graph[begin].push_back(end_pos);
      ++graph_size;
      cuts->push_back(end_pos);
      insert_pos(end_pos);
    }
  }
  // A formatted number starts with a digit; most texts have none, and then
  // there is nothing to rejoin.
  if (std::any_of(text.begin(), text.end(), IsPyDigit)) RejoinFormattedNumberEnds(text, cuts);
}

std::shared_ptr<const ThaiSegmenter> ThaiSegmenterFor(const std::string& thai_dict_path) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const ThaiSegmenter>> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(thai_dict_path);
  if (it != cache.end()) return it->second;
  std::shared_ptr<const ThaiSegmenter> seg;
  if (thai_dict_path.empty())
    seg = MakeIcuThaiSegmenter();
  else
    seg = NewmmSegmenter::FromFile(thai_dict_path);
  cache.emplace(thai_dict_path, seg);
  return seg;
}

}  // namespace bhasa::metrics
