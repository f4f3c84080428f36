// KvBlockManager: the bookkeeping of a paged KV cache. Device memory holds a
// fixed pool of blocks of `block_tokens` positions each; every sequence owns
// a block table (its positions p live in block table[p / block_tokens] at
// slot p % block_tokens). Blocks carry reference counts, so a forked
// sequence (n samples of one prompt) and sequences starting with the same
// prompt tokens (five-shot examples, a conversation's first turns) share
// blocks instead of copying them. Only the CPU side lives here; a device
// owns the memory the block ids index and performs the copies Append asks for.
//
// Prefix sharing: a block whose positions are all written is "full" and, once
// its tokens are known, is indexed by (previous block, its tokens). Start()
// walks that index from the first block, so a hit is exact (no hashes), and
// keeps at least one prompt token unshared so the caller has logits to read.
// A full block nobody references stays indexed as "cached" until the pool
// needs it again (least recently freed first).
//
// Usage (one scheduler thread):
//   KvBlockManager m(n_blocks, 16);
//   auto [seq, reused] = m.Start(prompt);       // positions [0, reused) are filled
//   auto copies = m.Append(seq, rest_of_prompt); // perform copies, then write the KV
//   ... m.Fork(seq) for another sample, m.Release(seq) when it ends.
//
// Ownership: owns ids and tables only. Thread-safety: none; one thread drives
// a manager. Failure: Append/Fork/Start throw bhasa::Error when the pool has
// too few free blocks (check CanAppend first) or for an unknown sequence; a
// failed call changes nothing.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <span>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bhasa::native {

// Copy block `from` into block `to` (all slots) before writing to `to`.
struct KvBlockCopy {
  int32_t from = 0, to = 0;
};

class KvBlockManager {
 public:
  using SeqId = int64_t;

  KvBlockManager(int32_t n_blocks, int32_t block_tokens);

  // A new sequence whose table maps the longest indexed prefix of `prompt`
  // (whole blocks, at most prompt.size() - 1 positions); returns it and the
  // number of positions reused. The prompt itself is not appended.
  std::pair<SeqId, int64_t> Start(std::span<const int32_t> prompt);
  // Appends tokens (whose KV the caller writes next) to the sequence,
  // allocating blocks as needed; a shared last block is copied first (copy on
  // write) and the copies to perform are returned.
  std::vector<KvBlockCopy> Append(SeqId seq, std::span<const int32_t> tokens);
  // Whether Append(seq, n tokens) would find enough free blocks.
  bool CanAppend(SeqId seq, int64_t n) const;
  // A new sequence sharing every block of `seq` (reference counts +1).
  SeqId Fork(SeqId seq);
  // Ends a sequence; its blocks lose one reference each.
  void Release(SeqId seq);

  std::span<const int32_t> Table(SeqId seq) const;
  int64_t Length(SeqId seq) const;
  int32_t RefCount(int32_t block) const { return blocks_.at(block).refs; }
  // Blocks an allocation can take: unreferenced ones, cached or never used.
  int32_t FreeBlocks() const { return static_cast<int32_t>(free_.size() + cached_.size()); }
  int32_t block_tokens() const { return block_tokens_; }
  int32_t n_blocks() const { return static_cast<int32_t>(blocks_.size()); }

 private:
  struct Key {
    int32_t prev;  // previous block in the chain, -1 for the first
    std::vector<int32_t> tokens;
    bool operator<(const Key& o) const { return std::tie(prev, tokens) < std::tie(o.prev, o.tokens); }
  };
  struct Block {
    int32_t refs = 0;
    bool indexed = false;                 // index_ maps `key` to this block
    Key key;
    std::vector<int32_t> children;        // blocks indexed with prev == this one
    std::list<int32_t>::iterator cached;  // position in cached_ when refs == 0 and indexed
  };
  struct Sequence {
    std::vector<int32_t> table;
    std::vector<int32_t> tokens;  // one per position written
  };

  Sequence& Get(SeqId seq);
  const Sequence& Get(SeqId seq) const;
  // Blocks Append would allocate for n more tokens.
  int64_t BlocksNeeded(const Sequence& s, int64_t n) const;
  int32_t Allocate();
  void Ref(int32_t block);
  void Unref(int32_t block);
  void Index(int32_t block, Key key);
  void Unindex(int32_t block);

  int32_t block_tokens_;
  std::vector<Block> blocks_;
  std::vector<int32_t> free_;     // never used or unindexed, refs == 0
  std::list<int32_t> cached_;     // indexed, refs == 0, least recently freed first
  std::map<Key, int32_t> index_;
  std::unordered_map<SeqId, Sequence> seqs_;
  SeqId next_seq_ = 0;
};

}  // namespace bhasa::native
