#include "backends/native/paged_step.h"

#include <algorithm>
#include <string>

#include "common/error.h"

namespace bhasa::native {

PagedStepPlan BuildStepPlan(std::span<const PagedEntry> entries, int32_t block_tokens) {
  PagedStepPlan plan;
  for (const PagedEntry& e : entries) {
    const int64_t end = e.start + static_cast<int64_t>(e.tokens.size());
    if (static_cast<int64_t>(e.table.size()) * block_tokens < end)
      throw Error("paged step: a table of " + std::to_string(e.table.size()) + " blocks cannot hold " +
                  std::to_string(end) + " positions");
    plan.table_stride = std::max<int64_t>(plan.table_stride, static_cast<int64_t>(e.table.size()));
  }
  for (const PagedEntry& e : entries) {
    const int64_t n = static_cast<int64_t>(e.tokens.size());
    const int64_t first_out = e.rows_from < 0 ? n - 1 : e.rows_from;
    plan.entry_rows.push_back(n);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t p = e.start + i;
      if (i >= first_out) plan.out_rows.push_back(static_cast<int32_t>(plan.tokens.size()));
      plan.tokens.push_back(e.tokens[i]);
      plan.pos.push_back(static_cast<int32_t>(p));
      plan.slots.push_back(e.table[p / block_tokens] * block_tokens + static_cast<int32_t>(p % block_tokens));
      plan.tables.insert(plan.tables.end(), e.table.begin(), e.table.end());
      plan.tables.resize(plan.tables.size() + plan.table_stride - e.table.size(), 0);
      plan.max_kv = std::max(plan.max_kv, p + 1);
    }
  }
  return plan;
}

int64_t GraphBucket(int64_t rows, int64_t max_rows) {
  if (rows <= 0 || rows > max_rows) return 0;
  int64_t bucket = 1;
  while (bucket < rows) bucket *= 2;
  return std::min(bucket, max_rows);
}

PagedStepPlan PadForGraph(const PagedStepPlan& plan, int64_t bucket, int64_t stride, int32_t spare_block,
                          int32_t block_tokens, int64_t max_kv) {
  const int64_t n = plan.n_rows();
  if (n > bucket || plan.table_stride > stride || plan.max_kv > max_kv ||
      static_cast<int64_t>(plan.out_rows.size()) != n)
    throw Error("paged step: a step of " + std::to_string(n) + " rows does not fit a graph of " +
                std::to_string(bucket));
  PagedStepPlan out = plan;
  out.tokens.resize(bucket, 0);
  out.pos.resize(bucket, 0);
  out.slots.resize(bucket, spare_block * block_tokens);
  out.tables.assign(static_cast<size_t>(bucket * stride), spare_block);
  for (int64_t r = 0; r < n; ++r)
    std::copy_n(plan.tables.begin() + r * plan.table_stride, plan.table_stride, out.tables.begin() + r * stride);
  out.table_stride = stride;
  out.out_rows.resize(bucket);
  for (int64_t r = 0; r < bucket; ++r) out.out_rows[r] = static_cast<int32_t>(r);
  out.max_kv = max_kv;
  if (bucket > n) out.entry_rows.push_back(bucket - n);
  return out;
}

}  // namespace bhasa::native
