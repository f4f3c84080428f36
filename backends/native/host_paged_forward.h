// HostPagedForward: a DeviceForward (paged_step.h) that runs on the CPU, the
// host twin of the CUDA module's: the KV cache is a pool of f16 blocks in
// host memory, each step evaluates its entries with Forward over a kernel
// table, and output rows are sampled with the same arithmetic the device
// uses (Argmax, or a stable sort and PickSorted). Its logits equal those of
// Forward with an f16 KvCache, so the engine's paged scheduler
// (engine_paged.cc) can be checked against the CPU engine on any machine.
//
// Each step copies every entry's visible positions out of the blocks into a
// KvCache and the new ones back: a reference, not a fast path.
//
// Ownership: borrows the Model and Kernels. Thread-safety: one thread at a
// time; Forward's kernels run in the caller's tbb::task_arena. Failure: Run
// throws bhasa::Error as Forward does.
#pragma once

#include <cstdint>
#include <vector>

#include "backends/native/forward.h"
#include "backends/native/paged_step.h"

namespace bhasa::native {

class HostPagedForward final : public DeviceForward {
 public:
  HostPagedForward(const Model& model, const Kernels& kernels, int32_t n_blocks, int32_t block_tokens);

  int32_t n_blocks() const override { return n_blocks_; }
  int32_t block_tokens() const override { return block_tokens_; }
  size_t peak_bytes() const override { return (k_.size() + v_.size()) * sizeof(uint16_t); }
  void CopyBlocks(std::span<const KvBlockCopy> copies) override;
  void Run(const PagedStepPlan& plan, std::span<const RowOutput> outputs, std::vector<int32_t>& ids,
           std::vector<float>& logits) override;

 private:
  // Element offset of cache row `slot` of `layer` in k_ / v_.
  size_t At(int64_t layer, int64_t slot) const;

  const Model& model_;
  Forward forward_;
  int32_t n_blocks_, block_tokens_;
  int64_t n_layer_, kv_dim_;
  std::vector<uint16_t> k_, v_;  // [layer][slot][kv_dim] halves
};

}  // namespace bhasa::native
