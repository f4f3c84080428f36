// Forward: runs the model's Program (the ops its architecture's builder
// lists, arch/program.h) over a batch of independent sequences. Every
// sequence's new tokens are stacked into one activation matrix, so each
// weight matrix is multiplied once per call for the whole batch (chunked
// prefill and batched decode are the same operation); attention runs per
// sequence against that sequence's own KvCache.
//
// Ownership: borrows the Model and Kernels (both must outlive it); owns its
// scratch buffers. Thread-safety: one Forward per thread of control; its
// kernels, and its loops over the rows of per-row kernels (norms, biases),
// parallelize inside the caller's tbb::task_arena.
// Failure: Run throws bhasa::Error before touching any cache when an entry
// would exceed its cache's context or holds a token id outside the vocabulary.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "backends/native/kernels.h"
#include "backends/native/kv_cache.h"
#include "backends/native/llama_model.h"

namespace bhasa::native {

struct SeqChunk {
  KvCache* cache = nullptr;           // receives the new positions
  std::span<const int32_t> tokens;    // appended after cache->size()
  bool all_logits = false;            // logits for every token, not just the last
  bool logits = true;                 // false: none (a prompt chunk whose logits nobody reads)
};

// Per layer, the window its attention step uses (0: global): the layout of
// a KvCache that keeps only what some query of `model` can still see.
std::vector<int64_t> AttentionWindows(const Model& model);

class Forward {
 public:
  Forward(const Model& model, const Kernels& kernels);

  // Evaluates the batch. Logits are written to `logits` in entry order: for
  // each entry, one row of n_vocab (its last token) or tokens.size() rows when
  // all_logits; `logits` is resized to fit. Entries with no tokens or with
  // logits == false produce no rows.
  void Run(std::span<const SeqChunk> batch, std::vector<float>& logits);

  // Called after every step of the program with the buffer the step wrote
  // (rows carried x its width), to compare intermediates with another
  // implementation's; empty (the default) costs nothing.
  using StepObserver = std::function<void(size_t index, const Step& step, const float* dst, int64_t rows, int64_t width)>;
  void SetObserver(StepObserver observer) { observer_ = std::move(observer); }

  const Model& model() const { return model_; }
  const Kernels& kernels() const { return kernels_; }

 private:
  // Moves the rows whose logits are wanted (out_rows_) to the front of the
  // X and Attn buffers; returns how many there are.
  int64_t KeepOutputRows();
  void Attend(const Step& step, std::span<const SeqChunk> batch);
  float* Data(Buf b);
  int64_t Width(Buf b) const;

  const Model& model_;
  const Kernels& kernels_;
  // Scratch, reused across calls.
  std::array<std::vector<float>, static_cast<size_t>(Buf::kLogits)> scratch_;  // every Buf but kLogits
  float* logits_ = nullptr;  // the caller's logits during Run
  std::vector<int32_t> tokens_, pos_;
  std::vector<int64_t> out_rows_;  // batch rows whose logits are wanted, ascending
  StepObserver observer_;
};

}  // namespace bhasa::native
