#include "backends/native/host_paged_forward.h"

#include <algorithm>
#include <memory>

#include "backends/native/ggml_types.h"
#include "backends/native/sample_math.h"
#include "backends/native/sampler.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

// The device sampler's pick for one row (cuda_paged.h): NaN ranks as -inf
// and is left out, ties go to the lower id.
int32_t PickRow(std::span<const float> row, const RowOutput& o) {
  if (o.cut.temperature <= 0.0f) return Argmax(row);
  std::vector<int32_t> ids;
  for (size_t i = 0; i < row.size(); ++i)
    if (!std::isnan(row[i])) ids.push_back(static_cast<int32_t>(i));
  if (ids.empty()) return 0;
  std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return row[a] > row[b]; });
  std::vector<float> sorted;
  for (int32_t id : ids) sorted.push_back(row[id]);
  return ids[PickSorted(sorted.data(), static_cast<int64_t>(sorted.size()), o.cut, o.u)];
}

}  // namespace

HostPagedForward::HostPagedForward(const Model& model, const Kernels& kernels, int32_t n_blocks, int32_t block_tokens)
    : model_(model),
      forward_(model, kernels),
      n_blocks_(n_blocks),
      block_tokens_(block_tokens),
      n_layer_(model.hparams().n_layer),
      kv_dim_(model.hparams().kv_dim()),
      k_(static_cast<size_t>(n_layer_ * n_blocks * block_tokens * kv_dim_)),
      v_(k_.size()) {}

size_t HostPagedForward::At(int64_t layer, int64_t slot) const {
  return static_cast<size_t>((layer * n_blocks_ * block_tokens_ + slot) * kv_dim_);
}

void HostPagedForward::CopyBlocks(std::span<const KvBlockCopy> copies) {
  const size_t block = static_cast<size_t>(block_tokens_ * kv_dim_);
  for (const KvBlockCopy& c : copies)
    for (int64_t l = 0; l < n_layer_; ++l)
      for (auto* cache : {&k_, &v_})
        std::copy_n(cache->begin() + At(l, int64_t{c.from} * block_tokens_), block,
                    cache->begin() + At(l, int64_t{c.to} * block_tokens_));
}

void HostPagedForward::Run(const PagedStepPlan& plan, std::span<const RowOutput> outputs, std::vector<int32_t>& ids,
                           std::vector<float>& logits) {
  const int64_t nv = model_.hparams().n_vocab;
  // Each entry's cache: its earlier positions read out of the blocks.
  std::vector<std::unique_ptr<KvCache>> caches;
  std::vector<SeqChunk> chunks;
  std::vector<int64_t> first_rows;  // batch row of each entry's first token
  std::vector<float> k_row(static_cast<size_t>(kv_dim_)), v_row(k_row.size());
  int64_t row = 0;
  for (int64_t n : plan.entry_rows) {
    const int64_t start = plan.pos[row];
    const int32_t* table = plan.tables.data() + row * plan.table_stride;
    auto cache = std::make_unique<KvCache>(n_layer_, kv_dim_, start + n, KvType::kF16);
    cache->Reserve(start);
    for (int64_t l = 0; l < n_layer_; ++l)
      for (int64_t p = 0; p < start; ++p) {
        const size_t at = At(l, int64_t{table[p / block_tokens_]} * block_tokens_ + p % block_tokens_);
        for (int64_t d = 0; d < kv_dim_; ++d) {
          k_row[d] = Fp16ToFp32(k_[at + d]);
          v_row[d] = Fp16ToFp32(v_[at + d]);
        }
        cache->Write(l, p, k_row.data(), v_row.data(), 1, kv_dim_);
      }
    cache->Commit(start);
    chunks.push_back({cache.get(), {plan.tokens.data() + row, static_cast<size_t>(n)}, true, true});
    caches.push_back(std::move(cache));
    first_rows.push_back(row);
    row += n;
  }
  std::vector<float> all;
  forward_.Run(chunks, all);  // every row's logits; the plan's output rows are picked below

  // The new positions go back into their slots.
  for (size_t e = 0; e < chunks.size(); ++e)
    for (int64_t l = 0; l < n_layer_; ++l) {
      const KvLayerView view = caches[e]->View(l);
      const auto* k = static_cast<const uint16_t*>(view.k);
      const auto* v = static_cast<const uint16_t*>(view.v);
      for (int64_t i = 0; i < plan.entry_rows[e]; ++i) {
        const int64_t r = first_rows[e] + i, p = plan.pos[r];
        std::copy_n(k + p * kv_dim_, kv_dim_, k_.begin() + At(l, plan.slots[r]));
        std::copy_n(v + p * kv_dim_, kv_dim_, v_.begin() + At(l, plan.slots[r]));
      }
    }

  ids.assign(outputs.size(), -1);
  logits.clear();
  for (size_t i = 0; i < outputs.size(); ++i) {
    const std::span<const float> out_row(all.data() + static_cast<size_t>(plan.out_rows[i]) * nv, static_cast<size_t>(nv));
    if (outputs[i].sample) ids[i] = PickRow(out_row, outputs[i]);
    if (outputs[i].logits) logits.insert(logits.end(), out_row.begin(), out_row.end());
  }
}

}  // namespace bhasa::native
