// PagedSession: the scheduler's side of a device-resident forward pass. It
// keeps the books of the paged KV cache (KvBlockManager: block tables,
// shared prefix blocks, copy on write) and turns each step's sequences into
// forward calls of at most n_batch tokens for a DeviceForward
// (paged_step.h), whose memory holds the cache itself.
//
// Usage (one scheduler thread):
//   PagedSession s(std::move(device), 512);
//   auto [seq, reused] = s.Start(prompt);            // positions [0, reused) come from shared blocks
//   PagedSession::Entry e{seq, std::span(prompt).subspan(reused)};
//   RowOutput greedy{.sample = true};
//   s.Step({&e, 1}, {&greedy, 1}, ids, logits);      // ids[0]: the next token
//   ... s.Release(seq) when it ends (its full blocks stay indexed for later prompts).
//
// Ownership: owns the device. Thread-safety: none. Failure: Step throws
// bhasa::Error when the cache has too few free blocks (check CanAppend), for
// an unknown sequence, or when the device fails.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "backends/native/kv_blocks.h"
#include "backends/native/paged_step.h"

namespace bhasa::native {

class PagedSession {
 public:
  PagedSession(std::unique_ptr<DeviceForward> device, int64_t n_batch);

  using SeqId = KvBlockManager::SeqId;
  struct Entry {
    SeqId seq = 0;
    std::span<const int32_t> tokens;  // appended after the sequence's positions
    int64_t rows_from = -1;           // as PagedEntry::rows_from
  };

  // A new sequence starting from the longest indexed prefix of `prompt`.
  std::pair<SeqId, int64_t> Start(std::span<const int32_t> prompt) { return blocks_.Start(prompt); }
  bool CanAppend(SeqId seq, int64_t n) const { return blocks_.CanAppend(seq, n); }
  int64_t Length(SeqId seq) const { return blocks_.Length(seq); }
  void Release(SeqId seq) { blocks_.Release(seq); }
  int32_t FreeBlocks() const { return blocks_.FreeBlocks(); }
  int32_t block_tokens() const { return blocks_.block_tokens(); }

  // Appends every entry's tokens and evaluates them. outputs: one per output
  // row, entries in order (rows_from..end, or the last token); ids and logits
  // as DeviceForward::Run gives them, for all of them in that order.
  void Step(std::span<const Entry> entries, std::span<const RowOutput> outputs, std::vector<int32_t>& ids,
            std::vector<float>& logits);

  DeviceForward& device() { return *device_; }

 private:
  std::unique_ptr<DeviceForward> device_;
  int64_t n_batch_;
  KvBlockManager blocks_;
};

// Output rows of an entry of n tokens with the given rows_from.
inline int64_t OutputRows(int64_t n, int64_t rows_from) {
  if (n == 0) return 0;
  return rows_from < 0 ? 1 : (rows_from >= n ? 0 : n - rows_from);
}

// The forward calls of a step: pieces of the entries, in order, at most
// n_batch tokens per call (a long prompt is split across calls).
struct StepPiece {
  size_t entry = 0;
  int64_t begin = 0, end = 0;  // token range of the entry
};
std::vector<std::vector<StepPiece>> SplitStep(std::span<const int64_t> entry_tokens, int64_t n_batch);

}  // namespace bhasa::native
