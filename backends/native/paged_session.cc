#include "backends/native/paged_session.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace bhasa::native {

PagedSession::PagedSession(std::unique_ptr<DeviceForward> device, int64_t n_batch)
    : device_(std::move(device)), n_batch_(std::max<int64_t>(n_batch, 1)),
      blocks_(device_->n_blocks(), device_->block_tokens()) {}

std::vector<std::vector<StepPiece>> SplitStep(std::span<const int64_t> entry_tokens, int64_t n_batch) {
  std::vector<std::vector<StepPiece>> calls(1);
  int64_t room = n_batch;
  for (size_t e = 0; e < entry_tokens.size(); ++e)
    for (int64_t at = 0; at < entry_tokens[e];) {
      if (room == 0) calls.emplace_back(), room = n_batch;
      const int64_t n = std::min(room, entry_tokens[e] - at);
      calls.back().push_back({e, at, at + n});
      at += n;
      room -= n;
    }
  if (calls.back().empty()) calls.pop_back();
  return calls;
}

void PagedSession::Step(std::span<const Entry> entries, std::span<const RowOutput> outputs, std::vector<int32_t>& ids,
                        std::vector<float>& logits) {
  // Check everything before the books change.
  std::vector<int64_t> sizes, first_output;
  int64_t n_out = 0;
  for (const Entry& e : entries) {
    const int64_t n = static_cast<int64_t>(e.tokens.size());
    if (!blocks_.CanAppend(e.seq, n))
      throw Error("paged KV cache: " + std::to_string(blocks_.FreeBlocks()) + " free blocks of " +
                  std::to_string(blocks_.block_tokens()) + " positions cannot hold " + std::to_string(n) +
                  " more tokens");
    sizes.push_back(n);
    first_output.push_back(n_out);
    n_out += OutputRows(n, e.rows_from);
  }
  if (static_cast<int64_t>(outputs.size()) != n_out)
    throw Error("paged step: " + std::to_string(outputs.size()) + " outputs for " + std::to_string(n_out) + " rows");

  std::vector<int64_t> starts;
  std::vector<KvBlockCopy> copies;
  for (const Entry& e : entries) {
    starts.push_back(blocks_.Length(e.seq));
    for (const KvBlockCopy& c : blocks_.Append(e.seq, e.tokens)) copies.push_back(c);
  }
  if (!copies.empty()) device_->CopyBlocks(copies);

  ids.clear();
  logits.clear();
  std::vector<int32_t> call_ids;
  std::vector<float> call_logits;
  for (const auto& call : SplitStep(sizes, n_batch_)) {
    std::vector<PagedEntry> pieces;
    std::vector<RowOutput> call_outputs;
    for (const StepPiece& p : call) {
      const Entry& e = entries[p.entry];
      const int64_t n = sizes[p.entry];
      const int64_t first = e.rows_from < 0 ? n - 1 : e.rows_from;  // first output token of the entry
      const int64_t from = std::max(first, p.begin);
      pieces.push_back({e.tokens.subspan(p.begin, p.end - p.begin), starts[p.entry] + p.begin,
                        blocks_.Table(e.seq), from < p.end ? from - p.begin : p.end - p.begin});
      for (int64_t i = from; i < p.end; ++i) call_outputs.push_back(outputs[first_output[p.entry] + (i - first)]);
    }
    device_->Run(BuildStepPlan(pieces, blocks_.block_tokens()), call_outputs, call_ids, call_logits);
    ids.insert(ids.end(), call_ids.begin(), call_ids.end());
    logits.insert(logits.end(), call_logits.begin(), call_logits.end());
  }
}

}  // namespace bhasa::native
