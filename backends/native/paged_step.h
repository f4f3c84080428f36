// One step of a forward pass over a paged KV cache, as plain data: what the
// scheduler (PagedSession) hands a device that keeps activations, weights and
// the cache in its own memory (DeviceForward, implemented by the CUDA module
// in cuda/cuda_forward.h). Per step only token ids, positions, cache slots
// and block tables go in; sampled ids, and logits rows where asked, come out.
//
// BuildStepPlan is plain C++, tested on any machine (paged_step_test.cc).
//
// Thread-safety: plain data and a pure function. Failure: BuildStepPlan
// throws bhasa::Error when an entry's table is too short for its positions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backends/native/kv_blocks.h"
#include "backends/native/sample_math.h"

namespace bhasa::native {

// One sequence's part of a step.
struct PagedEntry {
  std::span<const int32_t> tokens;  // written at positions start, start + 1, ...
  int64_t start = 0;
  std::span<const int32_t> table;   // block ids of positions [0, start + tokens.size())
  // Rows whose output is wanted: from this token index on (-1: the last
  // token only; tokens.size(): none).
  int64_t rows_from = -1;
};

// What comes out of one output row.
struct RowOutput {
  bool logits = false;  // copy the row's n_vocab logits back
  bool sample = false;  // pick a token on the device
  SampleCut cut;        // temperature <= 0: greedy (argmax)
  double u = 0;         // the draw (Sampler::Draw) when temperature > 0
};

// The host arrays of a step, in batch-row order (entries' tokens stacked).
struct PagedStepPlan {
  std::vector<int32_t> tokens;
  std::vector<int32_t> pos;
  std::vector<int32_t> slots;     // cache row receiving each token's K and V
  std::vector<int32_t> tables;    // rows x table_stride block ids (padded with block 0, never read)
  int64_t table_stride = 0;
  std::vector<int32_t> out_rows;  // batch rows whose output is wanted, ascending
  int64_t max_kv = 0;             // largest pos + 1: the positions attention may read
  std::vector<int64_t> entry_rows;  // tokens of each entry, in order
  int64_t n_rows() const { return static_cast<int64_t>(tokens.size()); }
};

PagedStepPlan BuildStepPlan(std::span<const PagedEntry> entries, int32_t block_tokens);

// Decode steps replay a captured CUDA graph per bucket of rows, so their
// kernels' arguments must not change between steps: the rows are padded to
// the bucket and the tables to a fixed stride.
//
// The bucket (1, 2, 4, 8, ... up to max_rows) a step of `rows` rows runs in, or 0
// when it has more.
int64_t GraphBucket(int64_t rows, int64_t max_rows);
// `plan` (every row an output) padded to `bucket` rows: a pad row writes
// token 0 at position 0 of `spare_block` (a block no sequence owns) and reads
// only it; tables are `stride` wide, padded with spare_block; max_kv is the
// fixed `max_kv`. Throws bhasa::Error when the plan does not fit those bounds.
PagedStepPlan PadForGraph(const PagedStepPlan& plan, int64_t bucket, int64_t stride, int32_t spare_block,
                          int32_t block_tokens, int64_t max_kv);

// How a device sizes itself when it is created.
struct DeviceForwardOptions {
  double gpu_memory_fraction = 0.9;  // weights + cache + activations
  int64_t n_ctx = 0;                 // positions per sequence (at least one sequence's must fit)
  int64_t n_batch = 512;             // most tokens of one Run
  int max_batch = 16;                // sequences decoded together
  int32_t block_tokens = 16;         // positions per cache block
};

// A device running the model's Program (arch/program.h) over a paged cache of
// n_blocks() blocks of block_tokens() positions, in its own memory.
class DeviceForward {
 public:
  virtual ~DeviceForward() = default;
  virtual int32_t n_blocks() const = 0;
  virtual int32_t block_tokens() const = 0;
  // Device bytes in use at most so far (weights, cache, activations).
  virtual size_t peak_bytes() const = 0;
  // Copies whole blocks (copy on write) before the step that writes them.
  virtual void CopyBlocks(std::span<const KvBlockCopy> copies) = 0;
  // Runs the step. outputs has one entry per plan.out_rows; ids gets one id
  // per output (-1 where sample is false) and logits the rows asked for, in
  // order, n_vocab floats each. Throws bhasa::Error naming the failed call.
  virtual void Run(const PagedStepPlan& plan, std::span<const RowOutput> outputs, std::vector<int32_t>& ids,
                   std::vector<float>& logits) = 0;
};

}  // namespace bhasa::native
