// Session: the per-call state of the engine — a set of independent sequences,
// each with its own KvCache and latest logits, advanced together by one
// Forward. Prompts are evaluated in chunks of at most n_batch tokens; a step
// over several sequences stacks their tokens so each weight matrix is
// multiplied once for the whole batch.
//
// Usage:
//   Session s(*model, CpuKernels(), {.n_ctx = 4096});
//   int a = s.Add(), b = s.Add();
//   s.Step({{a, prompt_a}, {b, prompt_b}});           // prefill both
//   int32_t t = Argmax(s.Logits(a));
//   s.Step({{a, {&t, 1}}, {b, {&u, 1}}});              // batched decode
//
// Ownership: borrows the Model and Kernels. Thread-safety: one thread drives a
// Session at a time (its kernels use that thread's tbb::task_arena).
// Failure: a sequence whose tokens would exceed n_ctx (or that names an
// unknown token id) fails alone: Step returns its error and leaves it
// unchanged, the other sequences advance.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backends/native/forward.h"
#include "backends/native/kv_cache.h"

namespace bhasa::native {

struct SessionOptions {
  int64_t n_ctx = 0;        // per sequence; 0 = the model's training context
  KvType kv_type = KvType::kF32;
  int64_t n_batch = 512;    // most tokens evaluated by one forward call
};

struct SeqTokens {
  int seq = 0;
  std::span<const int32_t> tokens;
  // Logits wanted after every token from this index on (Step's on_row), not
  // only after the last: prompt log-probabilities. -1 = the last only.
  int64_t rows_from = -1;
};

// on_row(entry, i, logits): the logits after tokens[i] of steps[entry], for
// i >= rows_from, in order.
using OnRow = std::function<void(size_t, size_t, std::span<const float>)>;

class Session {
 public:
  Session(const Model& model, const Kernels& kernels, SessionOptions options = {});

  int Add();                // a new empty sequence; returns its id
  void Remove(int seq);     // frees its cache; unknown ids are ignored
  // A new sequence continuing from a cache this Session (or one with the same
  // model and options) filled earlier; its logits are empty until its next
  // Step. Throws Error for a cache of another shape.
  int Adopt(std::unique_ptr<KvCache> cache);
  // Removes the sequence and hands back its cache. Throws for unknown ids.
  std::unique_ptr<KvCache> Release(int seq);
  // A copy of the sequence's cache (for Adopt). Throws for unknown ids.
  std::unique_ptr<KvCache> CloneCache(int seq) const;
  int64_t Length(int seq) const;
  int64_t n_ctx() const { return n_ctx_; }

  // Appends each entry's tokens to its sequence. Returns one string per entry:
  // "" on success, else the error (that sequence is left as it was).
  // Throws Error for an unknown sequence id or a sequence listed twice.
  std::vector<std::string> Step(std::span<const SeqTokens> steps, const OnRow& on_row = {});
  // Logits (n_vocab) after the sequence's last evaluated token; empty before
  // its first Step.
  std::span<const float> Logits(int seq) const;

 private:
  struct Sequence {
    std::unique_ptr<KvCache> cache;
    std::vector<float> logits;
  };
  Sequence& Get(int seq);
  const Sequence& Get(int seq) const;

  const Model& model_;
  Forward forward_;
  SessionOptions options_;
  int64_t n_ctx_;
  std::vector<int64_t> windows_;  // per layer, for the caches (AttentionWindows)
  int next_id_ = 0;
  std::map<int, Sequence> seqs_;
  std::vector<float> logits_;  // scratch for Forward::Run
};

}  // namespace bhasa::native
