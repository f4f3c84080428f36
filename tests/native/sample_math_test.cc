// The sampling arithmetic the CUDA sampler runs (sample_math.h) against the
// CPU Sampler: same logits, same seed, same tokens, over temperatures, top-k
// and top-p cuts, ties and NaN.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "backends/native/sample_math.h"
#include "backends/native/sampler.h"

namespace bhasa::native {
namespace {

// The candidates as the device orders them: NaN left out, descending by
// logit, ties by lower id (a stable sort of the ids in order).
std::pair<std::vector<float>, std::vector<int32_t>> Sorted(const std::vector<float>& logits) {
  std::vector<int32_t> ids;
  for (size_t i = 0; i < logits.size(); ++i)
    if (!std::isnan(logits[i])) ids.push_back(static_cast<int32_t>(i));
  std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  std::vector<float> values;
  for (int32_t id : ids) values.push_back(logits[id]);
  return {values, ids};
}

TEST(SampleMath, PicksWhatTheCpuSamplerPicks) {
  std::mt19937 rng(7);
  const SamplerParams cuts[] = {
      {.temperature = 1.0f},
      {.temperature = 0.7f, .top_k = 40},
      {.temperature = 0.8f, .top_p = 0.9f},
      {.temperature = 1.3f, .top_k = 5, .top_p = 0.5f},
      {.temperature = 0.05f, .top_p = 0.999f},
      {.temperature = 2.0f, .top_k = 1},
  };
  int checked = 0;
  for (int row = 0; row < 60; ++row) {
    const size_t n = 1 + rng() % 700;
    std::normal_distribution<float> dist(0.0f, 1.0f + row % 4);
    std::vector<float> logits(n);
    for (auto& x : logits) x = dist(rng);
    // Awkward rows: coarse values (many ties), a NaN, a -inf.
    if (row % 3 == 0)
      for (auto& x : logits) x = std::round(x);
    if (row % 5 == 1 && n > 2) logits[n / 2] = std::nanf("");
    if (row % 7 == 2 && n > 3) logits[1] = -INFINITY;
    const auto [values, ids] = Sorted(logits);
    for (const SamplerParams& p : cuts) {
      SamplerParams seeded = p;
      seeded.seed = 1000 + row;
      Sampler cpu(seeded), twin(seeded);
      for (int draw = 0; draw < 4; ++draw) {
        const int32_t want = cpu.Sample(logits);
        const int64_t at = PickSorted(values.data(), static_cast<int64_t>(values.size()),
                                      {p.temperature, p.top_k, p.top_p}, twin.Draw());
        ASSERT_EQ(ids[at], want) << "row " << row << " n " << n << " T " << p.temperature << " k " << p.top_k
                                 << " p " << p.top_p << " draw " << draw;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 60 * 6 * 4);
}

TEST(SampleMath, TopKOneIsTheLargest) {
  const std::vector<float> sorted = {3.0f, 2.0f, 1.0f};
  for (double u : {0.0, 0.5, 0.999999})
    EXPECT_EQ(PickSorted(sorted.data(), 3, {.temperature = 1.0f, .top_k = 1}, u), 0);
  // Without a cut, u near 1 lands on the last candidate.
  EXPECT_EQ(PickSorted(sorted.data(), 3, {.temperature = 1.0f}, 0.999999), 2);
}

TEST(Sampler, DrawIsTheDrawSampleMakes) {
  const std::vector<float> logits = {0.0f, 0.0f};  // equal halves: u < 0.5 picks id 0
  for (uint64_t seed = 1; seed < 50; ++seed) {
    Sampler a({.temperature = 1.0f, .seed = seed}), b({.temperature = 1.0f, .seed = seed});
    EXPECT_EQ(a.Sample(logits), b.Draw() < 0.5 ? 0 : 1);
  }
}

}  // namespace
}  // namespace bhasa::native
