// KvBlockManager: block tables, reference counts, copy on write, prefix
// sharing through the block index, eviction of cached blocks, and a random
// walk against a simulated device whose blocks hold token ids.
#include <map>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "backends/native/kv_blocks.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

std::vector<int32_t> Seq(int32_t first, int n) {
  std::vector<int32_t> v(n);
  for (int i = 0; i < n; ++i) v[i] = first + i;
  return v;
}

TEST(KvBlockManager, TablesGrowOneBlockPerBlockTokens) {
  KvBlockManager m(8, 4);
  auto [s, reused] = m.Start(Seq(0, 10));
  EXPECT_EQ(reused, 0);
  EXPECT_TRUE(m.Append(s, Seq(0, 5)).empty());
  EXPECT_EQ(m.Length(s), 5);
  EXPECT_EQ(m.Table(s).size(), 2u);
  m.Append(s, Seq(5, 3));
  EXPECT_EQ(m.Table(s).size(), 2u);  // 8 positions fill exactly two blocks
  m.Append(s, Seq(8, 1));
  EXPECT_EQ(m.Table(s).size(), 3u);
  EXPECT_EQ(m.FreeBlocks(), 5);
  for (int32_t b : m.Table(s)) EXPECT_EQ(m.RefCount(b), 1);
}

TEST(KvBlockManager, ForkSharesAndCopiesTheLastBlockOnWrite) {
  KvBlockManager m(8, 4);
  auto [a, _] = m.Start({});
  m.Append(a, Seq(0, 6));  // one full block, one with 2 of 4 slots
  const auto b = m.Fork(a);
  ASSERT_EQ(std::vector<int32_t>(m.Table(b).begin(), m.Table(b).end()),
            std::vector<int32_t>(m.Table(a).begin(), m.Table(a).end()));
  for (int32_t blk : m.Table(a)) EXPECT_EQ(m.RefCount(blk), 2);
  EXPECT_EQ(m.FreeBlocks(), 6);

  const int32_t shared_last = m.Table(b)[1];
  const auto copies = m.Append(b, Seq(100, 1));
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].from, shared_last);
  EXPECT_EQ(copies[0].to, m.Table(b)[1]);
  EXPECT_NE(m.Table(b)[1], shared_last);
  EXPECT_EQ(m.Table(b)[0], m.Table(a)[0]);  // the full block stays shared
  EXPECT_EQ(m.RefCount(m.Table(a)[0]), 2);
  EXPECT_EQ(m.RefCount(shared_last), 1);
  // a now owns its last block alone: it writes in place.
  EXPECT_TRUE(m.Append(a, Seq(200, 1)).empty());
  EXPECT_EQ(m.Table(a)[1], shared_last);
}

TEST(KvBlockManager, ReleaseReturnsBlocksOnlyWhenTheLastOwnerLeaves) {
  KvBlockManager m(4, 4);
  auto [a, _] = m.Start({});
  m.Append(a, Seq(0, 3));
  const auto b = m.Fork(a);
  m.Release(a);
  EXPECT_EQ(m.FreeBlocks(), 3);
  EXPECT_EQ(m.RefCount(m.Table(b)[0]), 1);
  m.Release(b);
  EXPECT_EQ(m.FreeBlocks(), 4);
  EXPECT_THROW(m.Table(b), Error);
  EXPECT_THROW(m.Release(b), Error);
}

TEST(KvBlockManager, StartReusesWholeIndexedBlocksAndLeavesOneTokenToEvaluate) {
  KvBlockManager m(16, 4);
  auto [a, _] = m.Start({});
  const auto prompt = Seq(0, 10);
  m.Append(a, prompt);  // blocks 0..3 and 4..7 are full, 8..9 partial
  {
    auto [b, reused] = m.Start(Seq(0, 20));
    EXPECT_EQ(reused, 8);
    ASSERT_EQ(m.Table(b).size(), 2u);
    EXPECT_EQ(m.Table(b)[0], m.Table(a)[0]);
    EXPECT_EQ(m.Table(b)[1], m.Table(a)[1]);
    EXPECT_EQ(m.RefCount(m.Table(a)[0]), 2);
    EXPECT_EQ(m.Length(b), 8);
    m.Release(b);
  }
  {
    auto [b, reused] = m.Start(Seq(0, 8));  // all 8 are indexed, but the last must be evaluated
    EXPECT_EQ(reused, 4);
    m.Release(b);
  }
  {
    auto p = Seq(0, 20);
    p[6] = -1;  // differs inside the second block
    auto [b, reused] = m.Start(p);
    EXPECT_EQ(reused, 4);
    m.Release(b);
  }
  {
    auto p = Seq(0, 20);
    p[0] = -1;
    auto [b, reused] = m.Start(p);
    EXPECT_EQ(reused, 0);
    EXPECT_TRUE(m.Table(b).empty());
    m.Release(b);
  }
}

TEST(KvBlockManager, ReleasedFullBlocksStayReusableUntilThePoolNeedsThem) {
  KvBlockManager m(4, 4);
  auto [a, _] = m.Start({});
  m.Append(a, Seq(0, 8));
  m.Release(a);
  EXPECT_EQ(m.FreeBlocks(), 4);  // cached blocks count as free
  {
    auto [b, reused] = m.Start(Seq(0, 9));
    EXPECT_EQ(reused, 8);
    m.Release(b);
  }
  // Four blocks of other tokens evict both cached blocks.
  auto [c, none] = m.Start(Seq(500, 16));
  EXPECT_EQ(none, 0);
  m.Append(c, Seq(500, 16));
  m.Release(c);
  auto [d, reused] = m.Start(Seq(0, 9));
  EXPECT_EQ(reused, 0);
  // ...and c's chain is what is indexed now.
  auto [e, reused_c] = m.Start(Seq(500, 16));
  EXPECT_EQ(reused_c, 12);
  m.Release(d);
  m.Release(e);
}

TEST(KvBlockManager, ExhaustionIsAnErrorThatChangesNothing) {
  KvBlockManager m(3, 4);
  auto [a, _] = m.Start({});
  m.Append(a, Seq(0, 6));
  const auto b = m.Fork(a);
  EXPECT_TRUE(m.CanAppend(a, 2));   // the shared last block is copied: one block
  EXPECT_FALSE(m.CanAppend(b, 3));  // a copy and one more block
  try {
    m.Append(b, Seq(0, 3));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("KV block pool exhausted"), std::string::npos) << e.what();
  }
  EXPECT_EQ(m.Length(b), 6);
  EXPECT_EQ(m.FreeBlocks(), 1);
  EXPECT_EQ(m.RefCount(m.Table(b)[1]), 2);
  EXPECT_THROW(KvBlockManager(0, 16), Error);
  EXPECT_THROW(KvBlockManager(4, 0), Error);
}

// Random starts, appends, forks and releases against a simulated device whose
// slots hold the token written there: every sequence must read back its own
// tokens through its table, and reference counts must equal table mentions.
TEST(KvBlockManager, RandomWalkKeepsEverySequenceIntact) {
  constexpr int32_t kBlocks = 24, kTokens = 4;
  KvBlockManager m(kBlocks, kTokens);
  std::vector<int32_t> device(kBlocks * kTokens, -1);
  std::map<KvBlockManager::SeqId, std::vector<int32_t>> want;
  std::mt19937 rng(7);
  auto pick = [&] {
    auto it = want.begin();
    std::advance(it, rng() % want.size());
    return it->first;
  };
  // Prompts from a small alphabet of prefixes so that sharing happens.
  auto prompt = [&] {
    std::vector<int32_t> p = Seq(static_cast<int32_t>(rng() % 3) * 100, static_cast<int>(rng() % 12));
    for (int i = 0, n = static_cast<int>(rng() % 6); i < n; ++i) p.push_back(static_cast<int32_t>(rng() % 1000));
    return p;
  };
  auto write = [&](KvBlockManager::SeqId s, std::span<const int32_t> toks) {
    if (!m.CanAppend(s, static_cast<int64_t>(toks.size()))) return false;
    const int64_t start = m.Length(s);
    for (const auto& c : m.Append(s, toks))
      std::copy_n(device.begin() + c.from * kTokens, kTokens, device.begin() + c.to * kTokens);
    const auto table = m.Table(s);
    for (size_t i = 0; i < toks.size(); ++i) {
      const int64_t p = start + static_cast<int64_t>(i);
      device[table[p / kTokens] * kTokens + p % kTokens] = toks[i];
    }
    want[s].insert(want[s].end(), toks.begin(), toks.end());
    return true;
  };
  int64_t reused_total = 0;
  for (int step = 0; step < 3000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (want.empty() || op < 3) {
      const auto p = prompt();
      auto [s, reused] = m.Start(p);
      reused_total += reused;
      want[s].assign(p.begin(), p.begin() + reused);
      if (!write(s, std::span<const int32_t>(p).subspan(reused))) {
        m.Release(s);
        want.erase(s);
      }
    } else if (op < 6) {
      const int32_t t = static_cast<int32_t>(rng() % 1000);
      write(pick(), std::span<const int32_t>(&t, 1));
    } else if (op < 7) {
      const auto s = pick();
      const auto f = m.Fork(s);
      want[f] = want[s];
    } else {
      const auto s = pick();
      m.Release(s);
      want.erase(s);
    }
    std::vector<int32_t> mentions(kBlocks, 0);
    for (const auto& [s, toks] : want) {
      ASSERT_EQ(m.Length(s), static_cast<int64_t>(toks.size()));
      const auto table = m.Table(s);
      ASSERT_EQ(static_cast<int64_t>(table.size()), (m.Length(s) + kTokens - 1) / kTokens);
      for (size_t p = 0; p < toks.size(); ++p)
        ASSERT_EQ(device[table[p / kTokens] * kTokens + p % kTokens], toks[p]) << "step " << step << " pos " << p;
      for (int32_t b : table) ++mentions[b];
    }
    int32_t unreferenced = 0;
    for (int32_t b = 0; b < kBlocks; ++b) {
      ASSERT_EQ(m.RefCount(b), mentions[b]) << "block " << b << " step " << step;
      unreferenced += mentions[b] == 0;
    }
    ASSERT_EQ(m.FreeBlocks(), unreferenced);
  }
  EXPECT_GT(reused_total, 0);  // the walk did exercise prefix sharing
}

}  // namespace
}  // namespace bhasa::native
