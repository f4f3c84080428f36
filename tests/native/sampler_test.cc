#include "backends/native/sampler.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"

namespace bhasa::native {
namespace {

TEST(Sampler, GreedyTakesLowestIdOnTies) {
  const std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(Argmax(logits), 1);
  Sampler s(SamplerParams{});
  EXPECT_EQ(s.Sample(logits), 1);
  EXPECT_EQ(Argmax(std::vector<float>{NAN, -INFINITY, -3.0f}), 2);
  EXPECT_EQ(Argmax(std::vector<float>{}), -1);
  EXPECT_THROW(s.Sample(std::vector<float>{}), Error);
}

TEST(Sampler, SameSeedSameTokens) {
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(static_cast<float>(i));
  SamplerParams p{.temperature = 1.0f, .top_k = 0, .top_p = 1.0f, .seed = 99};
  Sampler a(p), b(p);
  std::vector<int32_t> ta, tb;
  for (int i = 0; i < 100; ++i) {
    ta.push_back(a.Sample(logits));
    tb.push_back(b.Sample(logits));
  }
  EXPECT_EQ(ta, tb);
  p.seed = 100;
  Sampler c(p);
  std::vector<int32_t> tc;
  for (int i = 0; i < 100; ++i) tc.push_back(c.Sample(logits));
  EXPECT_NE(ta, tc);
}

TEST(Sampler, TopKOneAndTinyTopPAreGreedy) {
  const std::vector<float> logits = {0.1f, 0.3f, 0.29f, -2.0f};
  Sampler k1(SamplerParams{.temperature = 5.0f, .top_k = 1, .seed = 1});
  Sampler p0(SamplerParams{.temperature = 5.0f, .top_p = 0.01f, .seed = 2});
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(k1.Sample(logits), 1);
    EXPECT_EQ(p0.Sample(logits), 1);
  }
}

TEST(Sampler, FrequenciesFollowTemperatureSoftmax) {
  // p ∝ exp(l / T) with l = {0, ln 2, ln 4}, T = 1: 1/7, 2/7, 4/7.
  const std::vector<float> logits = {0.0f, std::log(2.0f), std::log(4.0f)};
  Sampler s(SamplerParams{.temperature = 1.0f, .seed = 7});
  std::map<int32_t, int> count;
  const int n = 70000;
  for (int i = 0; i < n; ++i) ++count[s.Sample(logits)];
  EXPECT_NEAR(count[0] / double(n), 1 / 7.0, 0.01);
  EXPECT_NEAR(count[1] / double(n), 2 / 7.0, 0.01);
  EXPECT_NEAR(count[2] / double(n), 4 / 7.0, 0.01);
  // top_p 0.5 keeps only the 4/7 token; top_p 0.8 keeps {2, 1} renormalized: 1/3, 2/3.
  Sampler nucleus(SamplerParams{.temperature = 1.0f, .top_p = 0.8f, .seed = 8});
  std::map<int32_t, int> c2;
  for (int i = 0; i < n; ++i) ++c2[nucleus.Sample(logits)];
  EXPECT_EQ(c2[0], 0);
  EXPECT_NEAR(c2[1] / double(n), 1 / 3.0, 0.01);
  // top_k 2 drops token 0 likewise.
  Sampler topk(SamplerParams{.temperature = 1.0f, .top_k = 2, .seed = 9});
  for (int i = 0; i < 1000; ++i) EXPECT_NE(topk.Sample(logits), 0);
}

TEST(FindStop, FindsEarliestStopAcrossIncrementalChecks) {
  const std::vector<std::string> stops = {"\n\n", "END", ""};
  EXPECT_EQ(FindStop("abc", stops), std::string::npos);
  EXPECT_EQ(FindStop("abc END x\n\n", stops), 4u);
  EXPECT_EQ(FindStop("x\n\nEND", stops), 1u);
  // Text already checked up to 4 bytes ("ab\nc" has no stop); a stop string
  // straddling the boundary is still found.
  EXPECT_EQ(FindStop("abcEN", stops, 4), std::string::npos);
  EXPECT_EQ(FindStop("abcEND", stops, 5), 3u);
  EXPECT_EQ(FindStop("", stops), std::string::npos);
}

}  // namespace
}  // namespace bhasa::native
