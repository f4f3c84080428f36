// The host side of a paged forward step: the arrays a device gets
// (BuildStepPlan) and how a step is cut into forward calls (SplitStep).
#include <vector>

#include <gtest/gtest.h>

#include "backends/native/kv_blocks.h"
#include "backends/native/paged_session.h"
#include "backends/native/paged_step.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

using V = std::vector<int32_t>;

TEST(PagedStep, PlanMapsPositionsThroughEachTable) {
  const V prompt = {11, 12, 13, 14, 15};
  const V table_a = {7, 2};  // block size 4: positions 0-3 in block 7, 4-7 in block 2
  const V one = {21};
  const V table_b = {5, 9, 3};
  const PagedEntry entries[] = {
      {.tokens = prompt, .start = 0, .table = table_a},             // a prompt: last row only
      {.tokens = one, .start = 9, .table = table_b},                 // a decode step at position 9
  };
  const PagedStepPlan plan = BuildStepPlan(entries, 4);
  EXPECT_EQ(plan.tokens, (V{11, 12, 13, 14, 15, 21}));
  EXPECT_EQ(plan.pos, (V{0, 1, 2, 3, 4, 9}));
  EXPECT_EQ(plan.slots, (V{28, 29, 30, 31, 8, 13}));  // 7*4+0.., 2*4+0, 3*4+1
  EXPECT_EQ(plan.table_stride, 3);
  ASSERT_EQ(plan.tables.size(), 6u * 3);
  EXPECT_EQ((V(plan.tables.begin(), plan.tables.begin() + 3)), (V{7, 2, 0}));   // padded
  EXPECT_EQ((V(plan.tables.end() - 3, plan.tables.end())), (V{5, 9, 3}));
  EXPECT_EQ(plan.out_rows, (V{4, 5}));
  EXPECT_EQ(plan.max_kv, 10);
  EXPECT_EQ(plan.entry_rows, (std::vector<int64_t>{5, 1}));
}

TEST(PagedStep, RowsFromAsksForEveryLaterRowOrNone) {
  const V t = {1, 2, 3, 4};
  const V table = {0};
  const PagedEntry all_from_1[] = {{.tokens = t, .start = 0, .table = table, .rows_from = 1}};
  EXPECT_EQ(BuildStepPlan(all_from_1, 4).out_rows, (V{1, 2, 3}));
  const PagedEntry none[] = {{.tokens = t, .start = 0, .table = table, .rows_from = 4}};
  EXPECT_TRUE(BuildStepPlan(none, 4).out_rows.empty());
  EXPECT_EQ(OutputRows(4, -1), 1);
  EXPECT_EQ(OutputRows(4, 1), 3);
  EXPECT_EQ(OutputRows(4, 4), 0);
  EXPECT_EQ(OutputRows(0, -1), 0);
}

TEST(PagedStep, TableTooShortIsAnError) {
  const V t = {1, 2, 3};
  const V table = {0};
  const PagedEntry e[] = {{.tokens = t, .start = 2, .table = table}};
  EXPECT_THROW(BuildStepPlan(e, 4), Error);
}

TEST(PagedStep, PlanFollowsTheBlockManagersSharedPrefix) {
  KvBlockManager m(16, 4);
  const V prompt = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto [a, reused_a] = m.Start(prompt);
  EXPECT_EQ(reused_a, 0);
  m.Append(a, prompt);
  auto [b, reused_b] = m.Start(prompt);  // two full blocks are shared
  ASSERT_EQ(reused_b, 8);
  m.Append(b, std::span(prompt).subspan(8));
  const PagedEntry e[] = {{.tokens = std::span(prompt).subspan(8), .start = 8, .table = m.Table(b)}};
  const PagedStepPlan plan = BuildStepPlan(e, 4);
  EXPECT_EQ(plan.tables[0], m.Table(a)[0]);
  EXPECT_EQ(plan.tables[1], m.Table(a)[1]);
  EXPECT_NE(plan.slots[0] / 4, m.Table(a)[2]);  // its own third block
}

TEST(PagedStep, SplitKeepsOrderAndCallSize) {
  const int64_t sizes[] = {5, 1, 0, 7};
  const auto calls = SplitStep(sizes, 4);
  ASSERT_EQ(calls.size(), 4u);  // 13 tokens, 4 per call
  std::vector<std::pair<size_t, int64_t>> seen;
  for (const auto& call : calls) {
    int64_t n = 0;
    for (const StepPiece& p : call) {
      n += p.end - p.begin;
      for (int64_t i = p.begin; i < p.end; ++i) seen.emplace_back(p.entry, i);
    }
    EXPECT_LE(n, 4);
  }
  std::vector<std::pair<size_t, int64_t>> want;
  for (size_t e = 0; e < 4; ++e)
    for (int64_t i = 0; i < sizes[e]; ++i) want.emplace_back(e, i);
  EXPECT_EQ(seen, want);
  EXPECT_TRUE(SplitStep(std::span<const int64_t>(), 4).empty());
}

TEST(PagedStep, GraphBucketIsTheNextPowerOfTwoUpToTheLimit) {
  EXPECT_EQ(GraphBucket(1, 8), 1);
  EXPECT_EQ(GraphBucket(2, 8), 2);
  EXPECT_EQ(GraphBucket(3, 8), 4);
  EXPECT_EQ(GraphBucket(5, 8), 8);
  EXPECT_EQ(GraphBucket(8, 8), 8);
  EXPECT_EQ(GraphBucket(9, 8), 0);
  EXPECT_EQ(GraphBucket(0, 8), 0);
  EXPECT_EQ(GraphBucket(5, 6), 6);  // a limit that is no power of two caps the bucket
}

TEST(PagedStep, PadForGraphKeepsRealRowsAndParksPadRowsInTheSpareBlock) {
  const V t1 = {7}, t2 = {8}, t3 = {9};
  const V ta = {3}, tb = {4, 5}, tc = {6};
  const PagedEntry entries[] = {{.tokens = t1, .start = 2, .table = ta},
                                {.tokens = t2, .start = 17, .table = tb},
                                {.tokens = t3, .start = 0, .table = tc}};
  const PagedStepPlan plan = BuildStepPlan(entries, 16);
  const PagedStepPlan g = PadForGraph(plan, 4, 3, 99, 16, 64);
  EXPECT_EQ(g.tokens, (V{7, 8, 9, 0}));
  EXPECT_EQ(g.pos, (V{2, 17, 0, 0}));
  EXPECT_EQ(g.slots, (V{3 * 16 + 2, 5 * 16 + 1, 6 * 16, 99 * 16}));
  EXPECT_EQ(g.table_stride, 3);
  // Each row's table as the plan had it (padded with block 0 to its stride 2), then the spare block.
  EXPECT_EQ(g.tables, (V{3, 0, 99, 4, 5, 99, 6, 0, 99, 99, 99, 99}));
  EXPECT_EQ(g.out_rows, (V{0, 1, 2, 3}));
  EXPECT_EQ(g.max_kv, 64);
  EXPECT_EQ(g.n_rows(), 4);
  // Too many rows, too wide a table or a prompt (not every row an output) do not fit.
  EXPECT_THROW(PadForGraph(plan, 2, 3, 99, 16, 64), Error);
  EXPECT_THROW(PadForGraph(plan, 4, 1, 99, 16, 64), Error);
  EXPECT_THROW(PadForGraph(plan, 4, 3, 99, 16, 10), Error);
  const V prompt = {1, 2, 3};
  const PagedEntry p[] = {{.tokens = prompt, .start = 0, .table = ta}};
  EXPECT_THROW(PadForGraph(BuildStepPlan(p, 16), 4, 3, 99, 16, 64), Error);
}

}  // namespace
}  // namespace bhasa::native
