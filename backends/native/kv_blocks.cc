#include "backends/native/kv_blocks.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace bhasa::native {

KvBlockManager::KvBlockManager(int32_t n_blocks, int32_t block_tokens) : block_tokens_(block_tokens) {
  if (n_blocks <= 0 || block_tokens <= 0)
    throw Error("KV block pool: need at least one block of at least one position (got " + std::to_string(n_blocks) +
                " blocks of " + std::to_string(block_tokens) + ")");
  blocks_.resize(static_cast<size_t>(n_blocks));
  free_.reserve(blocks_.size());
  // Popped from the back: block 0 is handed out first.
  for (int32_t b = n_blocks - 1; b >= 0; --b) free_.push_back(b);
}

std::pair<KvBlockManager::SeqId, int64_t> KvBlockManager::Start(std::span<const int32_t> prompt) {
  Sequence s;
  const auto n = static_cast<int64_t>(prompt.size());
  int32_t prev = -1;
  // Whole blocks only, and never the last prompt token: its logits are needed.
  for (int64_t pos = 0; pos + block_tokens_ < n; pos += block_tokens_) {
    const auto first = prompt.begin() + pos;
    auto hit = index_.find(Key{prev, std::vector<int32_t>(first, first + block_tokens_)});
    if (hit == index_.end()) break;
    Ref(hit->second);
    s.table.push_back(hit->second);
    s.tokens.insert(s.tokens.end(), first, first + block_tokens_);
    prev = hit->second;
  }
  const SeqId id = next_seq_++;
  const auto reused = static_cast<int64_t>(s.tokens.size());
  seqs_.emplace(id, std::move(s));
  return {id, reused};
}

int64_t KvBlockManager::BlocksNeeded(const Sequence& s, int64_t n) const {
  if (n <= 0) return 0;
  const auto len = static_cast<int64_t>(s.tokens.size());
  const bool copy_last = len % block_tokens_ != 0 && blocks_[s.table.back()].refs > 1;
  const int64_t have = static_cast<int64_t>(s.table.size());
  const int64_t want = (len + n + block_tokens_ - 1) / block_tokens_;
  return want - have + (copy_last ? 1 : 0);
}

bool KvBlockManager::CanAppend(SeqId seq, int64_t n) const { return BlocksNeeded(Get(seq), n) <= FreeBlocks(); }

std::vector<KvBlockCopy> KvBlockManager::Append(SeqId seq, std::span<const int32_t> tokens) {
  Sequence& s = Get(seq);
  const auto n = static_cast<int64_t>(tokens.size());
  const int64_t need = BlocksNeeded(s, n);
  if (need > FreeBlocks())
    throw Error("KV block pool exhausted: sequence " + std::to_string(seq) + " needs " + std::to_string(need) +
                " more blocks of " + std::to_string(block_tokens_) + " positions, " + std::to_string(FreeBlocks()) +
                " of " + std::to_string(n_blocks()) + " are free");
  std::vector<KvBlockCopy> copies;
  if (n == 0) return copies;
  if (s.tokens.size() % block_tokens_ != 0 && blocks_[s.table.back()].refs > 1) {
    const int32_t shared = s.table.back();
    const int32_t own = Allocate();
    copies.push_back({shared, own});
    Unref(shared);
    s.table.back() = own;
  }
  for (int32_t t : tokens) {
    if (s.tokens.size() % block_tokens_ == 0) s.table.push_back(Allocate());
    s.tokens.push_back(t);
    if (s.tokens.size() % block_tokens_ == 0) {
      const size_t nb = s.table.size();
      const int32_t prev = nb >= 2 ? s.table[nb - 2] : -1;
      Index(s.table.back(), Key{prev, std::vector<int32_t>(s.tokens.end() - block_tokens_, s.tokens.end())});
    }
  }
  return copies;
}

KvBlockManager::SeqId KvBlockManager::Fork(SeqId seq) {
  Sequence copy = Get(seq);
  for (int32_t b : copy.table) Ref(b);
  const SeqId id = next_seq_++;
  seqs_.emplace(id, std::move(copy));
  return id;
}

void KvBlockManager::Release(SeqId seq) {
  Sequence& s = Get(seq);
  // Last block first, so a chain's later blocks are evicted before its head.
  for (auto b = s.table.rbegin(); b != s.table.rend(); ++b) Unref(*b);
  seqs_.erase(seq);
}

std::span<const int32_t> KvBlockManager::Table(SeqId seq) const { return Get(seq).table; }

int64_t KvBlockManager::Length(SeqId seq) const { return static_cast<int64_t>(Get(seq).tokens.size()); }

KvBlockManager::Sequence& KvBlockManager::Get(SeqId seq) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) throw Error("KV block pool: unknown sequence " + std::to_string(seq));
  return it->second;
}

const KvBlockManager::Sequence& KvBlockManager::Get(SeqId seq) const {
  return const_cast<KvBlockManager*>(this)->Get(seq);
}

int32_t KvBlockManager::Allocate() {
  int32_t b;
  if (!free_.empty()) {
    b = free_.back();
    free_.pop_back();
  } else {
    b = cached_.front();  // callers checked FreeBlocks()
    Unindex(b);           // moves b from cached_ to free_
    free_.pop_back();
  }
  // b's contents are about to change: chains continuing from it are stale.
  for (int32_t c : std::vector<int32_t>(blocks_[b].children)) Unindex(c);
  blocks_[b].children.clear();
  blocks_[b].refs = 1;
  return b;
}

void KvBlockManager::Ref(int32_t block) {
  Block& b = blocks_[block];
  if (b.refs == 0 && b.indexed) cached_.erase(b.cached);
  ++b.refs;
}

void KvBlockManager::Unref(int32_t block) {
  Block& b = blocks_[block];
  if (--b.refs > 0) return;
  if (b.indexed) {
    b.cached = cached_.insert(cached_.end(), block);
  } else {
    free_.push_back(block);
  }
}

void KvBlockManager::Index(int32_t block, Key key) {
  // Another sequence filled the same tokens first: keep that block indexed.
  if (index_.count(key)) return;
  Block& b = blocks_[block];
  if (key.prev >= 0) blocks_[key.prev].children.push_back(block);
  index_.emplace(key, block);
  b.key = std::move(key);
  b.indexed = true;
}

void KvBlockManager::Unindex(int32_t block) {
  Block& b = blocks_[block];
  if (!b.indexed) return;
  index_.erase(b.key);
  if (b.key.prev >= 0) std::erase(blocks_[b.key.prev].children, block);
  b.indexed = false;
  if (b.refs == 0) {
    cached_.erase(b.cached);
    free_.push_back(block);
  }
}

}  // namespace bhasa::native
