// PrefixPool: longest-prefix lookup, the evaluate-one-token rule, the
// minimum length, and least-recently-used eviction under the byte budget.
#include <gtest/gtest.h>

#include "backends/native/prefix_pool.h"

namespace bhasa::native {
namespace {

// A cache holding `n` positions (contents do not matter here).
std::unique_ptr<KvCache> Filled(int64_t n) {
  auto c = std::make_unique<KvCache>(1, 4, 256, KvType::kF32);
  c->Reserve(n);
  c->Commit(n);
  return c;
}

std::vector<int32_t> Seq(int32_t first, int n) {
  std::vector<int32_t> v(n);
  for (int i = 0; i < n; ++i) v[i] = first + i;
  return v;
}

TEST(PrefixPool, TakesTheLongestSharedPrefixTruncated) {
  PrefixPool pool(size_t{1} << 20, 4);
  auto a = Seq(0, 10), b = Seq(0, 20);
  b[15] = 999;  // b shares 15 tokens with a prompt of 0..29
  pool.Put(a, Filled(10));
  pool.Put(b, Filled(20));
  int64_t reused = 0;
  auto got = pool.Take(Seq(0, 30), &reused);
  ASSERT_TRUE(got);
  EXPECT_EQ(reused, 15);
  EXPECT_EQ(got->size(), 15);
  EXPECT_EQ(pool.size(), 1u);  // taken out, not copied
  got = pool.Take(Seq(0, 30), &reused);
  ASSERT_TRUE(got);
  EXPECT_EQ(reused, 10);
  EXPECT_FALSE(pool.Take(Seq(0, 30), &reused));
  EXPECT_EQ(reused, 0);
}

TEST(PrefixPool, LeavesOneTokenAndRespectsTheMinimum) {
  PrefixPool pool(size_t{1} << 20, 4);
  pool.Put(Seq(0, 8), Filled(8));
  int64_t reused = 0;
  auto got = pool.Take(Seq(0, 8), &reused);  // identical prompt: the last token is evaluated again
  ASSERT_TRUE(got);
  EXPECT_EQ(reused, 7);
  pool.Put(Seq(0, 8), std::move(got));
  EXPECT_FALSE(pool.Take(Seq(0, 4), &reused));  // at most 3 shared: below the minimum
  auto other = Seq(0, 8);
  other[0] = 77;
  EXPECT_FALSE(pool.Take(other, &reused));
}

TEST(PrefixPool, EvictsLeastRecentlyUsedBeyondTheBudgetAndRejectsMismatches) {
  const size_t one = Filled(16)->bytes();
  PrefixPool pool(2 * one, 1);
  pool.Put(Seq(0, 16), Filled(16));
  pool.Put(Seq(100, 16), Filled(16));
  pool.Put(Seq(200, 16), Filled(16));  // evicts the first
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_LE(pool.bytes(), 2 * one);
  int64_t reused = 0;
  EXPECT_FALSE(pool.Take(Seq(0, 20), &reused));
  EXPECT_TRUE(pool.Take(Seq(200, 20), &reused));
  pool.Put(Seq(300, 5), Filled(6));  // tokens and positions disagree: dropped
  EXPECT_EQ(pool.size(), 1u);
  PrefixPool off(0, 1);
  off.Put(Seq(0, 16), Filled(16));
  EXPECT_EQ(off.size(), 0u);
}

}  // namespace
}  // namespace bhasa::native
