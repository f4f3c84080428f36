// The sliding-window KV cache: a sliding layer keeps a ring of window - 1 +
// (widest forward call) rows instead of one row per position. Generation
// many windows long with the ring equals the full cache logit for logit
// (single and batched, both kernel tables, f32 and f16 caches, and on the
// gemma2-tiny fixture); prefix reuse takes a ring cache only where it still
// holds what the shorter prefix needs; the memory the ring saves is what
// docs/engine.md states.
#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>

#include "backends/native/engine.h"
#include "backends/native/forward.h"
#include "backends/native/kv_cache.h"
#include "backends/native/llama_model.h"
#include "backends/native/prefix_pool.h"
#include "backends/native/sampler.h"
#include "backends/native/session.h"
#include "common/error.h"
#include "tests/native/random_arch_model.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

constexpr int64_t kVocab = testing::kRandomVocab;
constexpr int64_t kWindow = testing::kRandomWindow;

// The random Gemma 2 (4 layers: 0 and 2 slide over kWindow positions).
std::shared_ptr<const Model> RandomGemma2() { return Model::Load(testing::RandomArchModel("gemma2")); }

std::vector<int32_t> Prompt(int n, int salt) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back(static_cast<int32_t>((i * 7 + salt * 13 + 1) % kVocab));
  return t;
}

// Writes positions [size, size + n) of every layer with K = position and
// V = -position in each element, as Forward would (Reserve, Write, Commit).
void Append(KvCache& c, int64_t n, int64_t kv_dim, int64_t n_layer) {
  c.Reserve(n);
  std::vector<float> k(n * kv_dim), v(n * kv_dim);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t d = 0; d < kv_dim; ++d) {
      k[i * kv_dim + d] = static_cast<float>(c.size() + i);
      v[i * kv_dim + d] = -static_cast<float>(c.size() + i);
    }
  for (int64_t l = 0; l < n_layer; ++l) c.Write(l, c.size(), k.data(), v.data(), n, kv_dim);
  c.Commit(n);
}

// The K value layer `layer`'s view holds for position p.
float HeldK(const KvCache& c, int64_t layer, int64_t p) {
  const KvLayerView view = c.View(layer);
  return static_cast<const float*>(view.k)[KvRow(p, view.slots) * view.stride];
}

// Memory: a sliding layer holds min(reserved positions, window - 1 + widest
// call) rows, a global layer every reserved position (doubling from 256).
TEST(KvRing, SlidingLayersHoldWindowPlusWidestCallRows) {
  constexpr int64_t kDim = 8, kLayers = 4, kW = 16;
  KvCache ring(kLayers, kDim, 2048, KvType::kF32, {kW, 0, kW, 0});
  KvCache full(kLayers, kDim, 2048, KvType::kF32);
  int64_t widest = 0;
  for (int64_t n : {8, 8, 3, 8}) {
    Append(ring, n, kDim, kLayers);
    Append(full, n, kDim, kLayers);
    widest = std::max(widest, n);
  }
  while (ring.size() < 1000) {
    Append(ring, 1, kDim, kLayers);
    Append(full, 1, kDim, kLayers);
  }
  EXPECT_EQ(ring.slots(1), 1024);  // 256 -> 512 -> 1024
  EXPECT_EQ(ring.slots(3), 1024);
  EXPECT_EQ(ring.slots(0), kW - 1 + widest);
  EXPECT_EQ(ring.slots(2), kW - 1 + widest);
  EXPECT_EQ(ring.View(0).slots, kW - 1 + widest) << "a sliding layer is addressed as a ring";
  EXPECT_EQ(ring.View(1).slots, 0) << "a global layer is addressed directly";
  const size_t row = 2 * kDim * sizeof(float);  // K and V of one position
  EXPECT_EQ(full.bytes(), kLayers * 1024 * row);
  EXPECT_EQ(ring.bytes(), (2 * 1024 + 2 * (kW - 1 + widest)) * row);
  // Every position a query at 1000 can see is held, in the row KvRow names.
  for (int64_t p = 1000 - kW; p < 1000; ++p) {
    EXPECT_EQ(HeldK(ring, 0, p), static_cast<float>(p)) << p;
    EXPECT_EQ(HeldK(ring, 1, p), static_cast<float>(p)) << p;
  }
}

// Gemma 2 9B's layout (42 layers, every even one sliding over 4096
// positions) filled to its 8192-token context in n_batch 512 calls: sliding
// layers hold 4607 positions, global ones 8192, 78.1% of a full cache's
// bytes (docs/engine.md). kv_dim 1 keeps the test small; bytes scale with it.
TEST(KvRing, Gemma2NineBLayoutAtItsFullContext) {
  constexpr int64_t kLayers = 42;
  std::vector<int64_t> windows(kLayers, 0);
  for (int64_t l = 0; l < kLayers; l += 2) windows[l] = 4096;
  KvCache ring(kLayers, 1, 8192, KvType::kF16, windows), full(kLayers, 1, 8192, KvType::kF16);
  while (ring.size() < 8192) {
    Append(ring, 512, 1, kLayers);
    Append(full, 512, 1, kLayers);
  }
  EXPECT_EQ(ring.slots(0), 4607);
  EXPECT_EQ(ring.slots(1), 8192);
  EXPECT_EQ(full.bytes(), size_t{kLayers} * 8192 * 2 * 2);  // K and V, f16
  EXPECT_EQ(ring.bytes(), size_t{21} * (8192 + 4607) * 2 * 2);
  EXPECT_NEAR(static_cast<double>(ring.bytes()) / full.bytes(), 0.781, 0.0005);
}

// Before the sequence outgrows window - 1 + widest call, nothing is dropped.
TEST(KvRing, ShortSequencesKeepEveryPosition) {
  KvCache c(2, 4, 512, KvType::kF16, {64, 0});
  Append(c, 40, 4, 2);
  EXPECT_EQ(c.slots(0), 40 + 63);
  for (int64_t n = 0; n <= 40; ++n) EXPECT_TRUE(c.CanTruncate(n)) << n;
}

// Truncate(n) needs positions n - window + 1 .. n - 1 of every sliding layer;
// a ring that overwrote them refuses, naming why, and stays as it was.
TEST(KvRing, TruncateOnlyWhereTheWindowIsStillHeld) {
  constexpr int64_t kDim = 4, kW = 16;
  KvCache c(2, kDim, 2048, KvType::kF32, {kW, 0});
  Append(c, 8, kDim, 2);
  while (c.size() < 1000) Append(c, 1, kDim, 2);
  // The ring has 23 rows: positions 977..999.
  EXPECT_TRUE(c.CanTruncate(1000));
  EXPECT_TRUE(c.CanTruncate(992));  // needs 977..991
  EXPECT_FALSE(c.CanTruncate(991));  // needs 976
  EXPECT_FALSE(c.CanTruncate(10));
  EXPECT_TRUE(c.CanTruncate(0));
  EXPECT_FALSE(c.CanTruncate(1001));
  try {
    c.Truncate(500);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("sliding-window layer no longer holds"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c.size(), 1000);

  c.Truncate(992);
  Append(c, 4, kDim, 2);  // positions 992..995 written again
  EXPECT_TRUE(c.CanTruncate(996));
  EXPECT_FALSE(c.CanTruncate(992 - 1));
  for (int64_t p = 996 - kW; p < 996; ++p) EXPECT_EQ(HeldK(c, 0, p), static_cast<float>(p)) << p;

  c.Truncate(0);  // starts over: the ring fills from position 0 again
  Append(c, 8, kDim, 2);
  for (int64_t n = 0; n <= 8; ++n) EXPECT_TRUE(c.CanTruncate(n)) << n;
  for (int64_t p = 0; p < 8; ++p) EXPECT_EQ(HeldK(c, 0, p), static_cast<float>(p)) << p;
}

TEST(KvRing, WindowsAreValidatedAndPartOfTheShape) {
  EXPECT_THROW(KvCache(2, 4, 64, KvType::kF32, {3}), Error);
  EXPECT_THROW(KvCache(2, 4, 64, KvType::kF32, {3, -1}), Error);
  KvCache c(2, 4, 64, KvType::kF32, {3, 0});
  EXPECT_TRUE(c.Fits(2, 4, 64, KvType::kF32, {3, 0}));
  EXPECT_FALSE(c.Fits(2, 4, 64, KvType::kF32, {}));
  EXPECT_TRUE(KvCache(2, 4, 64, KvType::kF32).Fits(2, 4, 64, KvType::kF32, {0, 0}));
}

// One sequence's chunked prefill then greedy decode.
struct Seq {
  std::vector<int32_t> prompt;
  std::vector<int64_t> chunks;  // prefill chunk sizes, cycled
};

// Runs `seqs` together through one Forward per step with caches made by
// `make`: prefill chunk by chunk (all sequences in each call), then `steps`
// batched greedy decode steps. Returns every logits row Forward produced.
std::vector<std::vector<float>> Generate(const Model& m, const Kernels& k, const std::vector<Seq>& seqs, int steps,
                                         const std::function<std::unique_ptr<KvCache>()>& make,
                                         std::vector<std::unique_ptr<KvCache>>* caches_out = nullptr) {
  Forward f(m, k);
  std::vector<std::unique_ptr<KvCache>> caches;
  for (size_t s = 0; s < seqs.size(); ++s) caches.push_back(make());
  std::vector<size_t> done(seqs.size(), 0), chunk(seqs.size(), 0);
  std::vector<std::vector<float>> rows;
  std::vector<float> logits;
  std::vector<int32_t> next(seqs.size(), 0);
  for (bool more = true; more;) {
    more = false;
    std::vector<SeqChunk> batch;
    std::vector<size_t> owner;
    for (size_t s = 0; s < seqs.size(); ++s) {
      if (done[s] == seqs[s].prompt.size()) continue;
      const size_t n = std::min<size_t>(seqs[s].prompt.size() - done[s],
                                        seqs[s].chunks[chunk[s]++ % seqs[s].chunks.size()]);
      batch.push_back({caches[s].get(), std::span(seqs[s].prompt).subspan(done[s], n)});
      owner.push_back(s);
      done[s] += n;
      more = true;
    }
    if (!more) break;
    f.Run(batch, logits);
    for (size_t b = 0; b < batch.size(); ++b) {
      rows.emplace_back(logits.begin() + b * kVocab, logits.begin() + (b + 1) * kVocab);
      if (done[owner[b]] == seqs[owner[b]].prompt.size()) next[owner[b]] = Argmax(rows.back());
    }
  }
  for (int step = 0; step < steps; ++step) {
    std::vector<SeqChunk> batch;
    for (size_t s = 0; s < seqs.size(); ++s) batch.push_back({caches[s].get(), {&next[s], 1}});
    f.Run(batch, logits);
    for (size_t s = 0; s < seqs.size(); ++s) {
      rows.emplace_back(logits.begin() + s * kVocab, logits.begin() + (s + 1) * kVocab);
      next[s] = Argmax(rows.back());
    }
  }
  if (caches_out) *caches_out = std::move(caches);
  return rows;
}

struct RingCase {
  const char* name;
  const Kernels& (*kernels)();
  KvType kv;
};

void PrintTo(const RingCase& c, std::ostream* os) { *os << c.name; }

class KvRingForward : public ::testing::TestWithParam<RingCase> {};

// Prefill in chunks smaller and larger than the window, then 40 greedy
// steps (the sequences end 9 to 12 windows long): every logit equals the
// full cache's, for one sequence and for three decoded together.
TEST_P(KvRingForward, GenerationPastTheWindowEqualsTheFullCache) {
  auto model = RandomGemma2();
  const auto& hp = model->hparams();
  const auto windows = AttentionWindows(*model);
  ASSERT_EQ(windows, (std::vector<int64_t>{kWindow, 0, kWindow, 0}));
  const RingCase& rc = GetParam();
  tbb::task_arena arena(2);
  arena.execute([&] {
    const std::vector<Seq> seqs = {{Prompt(7, 0), {4}}, {Prompt(19, 1), {9, 1}}, {Prompt(3, 2), {2}}};
    for (const auto& group : {std::vector<Seq>{seqs[1]}, seqs}) {
      SCOPED_TRACE(std::to_string(group.size()) + " sequence(s)");
      std::vector<std::unique_ptr<KvCache>> rings;
      const auto with_ring = Generate(*model, rc.kernels(), group, 40, [&] {
        return std::make_unique<KvCache>(hp.n_layer, hp.kv_dim(), 256, rc.kv, windows);
      }, &rings);
      const auto with_full = Generate(*model, rc.kernels(), group, 40, [&] {
        return std::make_unique<KvCache>(hp.n_layer, hp.kv_dim(), 256, rc.kv);
      });
      ASSERT_EQ(with_ring.size(), with_full.size());
      for (size_t r = 0; r < with_ring.size(); ++r) ASSERT_EQ(with_ring[r], with_full[r]) << "logits row " << r;
      for (const auto& c : rings) {
        EXPECT_EQ(c->slots(1), 256);
        EXPECT_LE(c->slots(0), kWindow - 1 + 9);
        EXPECT_GE(c->size(), 40 + 3);
      }
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Tables, KvRingForward,
                         ::testing::Values(RingCase{"cpu_f32", CpuKernels, KvType::kF32},
                                           RingCase{"cpu_f16", CpuKernels, KvType::kF16},
                                           RingCase{"ref_f32", RefKernels, KvType::kF32},
                                           RingCase{"ref_f16", RefKernels, KvType::kF16}),
                         [](const auto& info) { return std::string(info.param.name); });

// gemma2-tiny (window 32, 26 layers): its longest prompt (324 tokens) in
// chunks of 16, then 24 greedy steps, equal with the ring and the full cache.
TEST(KvRing, Gemma2TinyFixtureEqualsTheFullCache) {
  const std::string model_rel = "fixtures/gemma2-tiny/models/gemma2-tiny-F32.gguf";
  const std::string ref_rel = "fixtures/gemma2-tiny/reference/gemma2-tiny-F32.json";
  BHASA_REQUIRE_SHARED(model_rel);
  BHASA_REQUIRE_SHARED(ref_rel);
  std::shared_ptr<const Model> model = Model::Load(testing::SharedDir() + "/" + model_rel);
  nlohmann::json ref;
  std::ifstream(testing::SharedDir() + "/" + ref_rel) >> ref;
  const auto& hp = model->hparams();
  const auto windows = AttentionWindows(*model);
  ASSERT_EQ(windows[0], 32);
  ASSERT_EQ(windows[1], 0);
  std::vector<int32_t> prompt;
  for (const auto& c : ref["cases"])
    if (c["id"] == "extra-long") prompt = c["tokens_bos"].get<std::vector<int32_t>>();
  ASSERT_EQ(prompt.size(), 324u);
  const int64_t n_vocab = hp.n_vocab;
  tbb::task_arena arena(2);
  arena.execute([&] {
    auto run = [&](std::vector<int64_t> w, size_t* bytes) {
      Forward f(*model, CpuKernels());
      KvCache cache(hp.n_layer, hp.kv_dim(), 512, KvType::kF32, std::move(w));
      std::vector<std::vector<float>> rows;
      std::vector<float> logits;
      for (size_t at = 0; at < prompt.size(); at += 16) {
        SeqChunk c{&cache, std::span(prompt).subspan(at, std::min<size_t>(16, prompt.size() - at))};
        f.Run({&c, 1}, logits);
      }
      rows.push_back(logits);
      for (int step = 0; step < 24; ++step) {
        int32_t t = Argmax(logits);
        SeqChunk c{&cache, {&t, 1}};
        f.Run({&c, 1}, logits);
        rows.push_back(logits);
      }
      *bytes = cache.bytes();
      return rows;
    };
    size_t ring_bytes = 0, full_bytes = 0;
    const auto ring = run(windows, &ring_bytes), full = run({}, &full_bytes);
    for (size_t r = 0; r < ring.size(); ++r) {
      ASSERT_EQ(ring[r].size(), static_cast<size_t>(n_vocab));
      ASSERT_EQ(ring[r], full[r]) << "step " << r;
    }
    // 13 sliding layers of 47 rows instead of 512.
    EXPECT_EQ(full_bytes - ring_bytes, 13u * (512 - 47) * 2 * hp.kv_dim() * sizeof(float));
  });
}

// Prefix reuse from a ring cache: a prompt sharing a beginning whose window
// the ring still holds continues from it with the logits a full cache gives;
// one sharing a beginning the ring overwrote is evaluated afresh.
TEST(KvRing, PrefixReuseAcrossTheWindowBoundary) {
  auto model = RandomGemma2();
  const auto& hp = model->hparams();
  const auto windows = AttentionWindows(*model);
  tbb::task_arena arena(2);
  arena.execute([&] {
    Forward f(*model, CpuKernels());
    const auto a = Prompt(40, 3);
    auto fill = [&](std::vector<int64_t> w) {
      auto c = std::make_unique<KvCache>(hp.n_layer, hp.kv_dim(), 256, KvType::kF32, std::move(w));
      std::vector<float> logits;
      for (size_t at = 0; at < a.size(); at += 4) {
        SeqChunk ch{c.get(), std::span(a).subspan(at, 4)};
        f.Run({&ch, 1}, logits);
      }
      return c;
    };
    PrefixPool ring_pool(size_t{1} << 20, 4), full_pool(size_t{1} << 20, 4);
    ring_pool.Put(a, fill(windows));
    full_pool.Put(a, fill({}));

    // Shares 38 tokens: the ring (8 rows, positions 32..39) holds 34..37.
    std::vector<int32_t> near(a.begin(), a.begin() + 38);
    for (int32_t t : {5, 9, 2, 7}) near.push_back(t);
    EXPECT_EQ(ring_pool.Longest(near), 38);
    // Shares 20 tokens: positions 16..19 are gone from the ring.
    std::vector<int32_t> far(a.begin(), a.begin() + 20);
    for (int32_t t : {1, 4}) far.push_back(t);
    EXPECT_EQ(ring_pool.Longest(far), 0);
    EXPECT_EQ(full_pool.Longest(far), 20);
    int64_t reused = -1;
    EXPECT_EQ(ring_pool.Take(far, &reused), nullptr);
    EXPECT_EQ(reused, 0);

    int64_t ring_reused = 0, full_reused = 0;
    auto ring = ring_pool.Take(near, &ring_reused);
    auto full = full_pool.Take(near, &full_reused);
    ASSERT_NE(ring, nullptr);
    ASSERT_EQ(ring_reused, 38);
    ASSERT_EQ(full_reused, 38);
    std::vector<float> ring_logits, full_logits;
    const auto rest = std::span(near).subspan(38);
    SeqChunk rc{ring.get(), rest, true}, fc{full.get(), rest, true};
    f.Run({&rc, 1}, ring_logits);
    f.Run({&fc, 1}, full_logits);
    EXPECT_EQ(ring_logits, full_logits);
  });
}

// Through the Engine: a job sharing a prefix the ring still holds reuses it,
// one sharing a prefix the ring dropped starts afresh, and either way every
// token equals a run without prefix reuse, alone or batched.
TEST(KvRing, EngineReusesOnlyWhatTheRingHolds) {
  auto model = RandomGemma2();
  GenerationJob first;
  first.prompt = Prompt(40, 4);
  first.max_tokens = 8;
  first.stop_at_eog = false;
  auto run = [&](const std::vector<GenerationJob>& jobs, int max_batch, size_t pool) {
    Engine e(model, {.threads = 2, .n_ctx = 256, .max_batch = max_batch, .n_batch = 4, .prefix_cache_bytes = pool});
    std::vector<GenerationResult> out(jobs.size());
    e.Generate(jobs, [&](size_t i, GenerationResult r) { out[i] = std::move(r); });
    return out;
  };
  const auto alone = run({first}, 1, 0);
  ASSERT_EQ(alone[0].tokens.size(), 8u);
  // The first job leaves 47 positions (its last token is never fed back);
  // its sliding layers hold 39..46.
  GenerationJob near = first, far = first;
  near.prompt.insert(near.prompt.end(), alone[0].tokens.begin(), alone[0].tokens.begin() + 6);
  near.prompt.push_back((alone[0].tokens[6] + 1) % kVocab);  // differs from what the first job fed
  far.prompt.resize(38);
  far.prompt.push_back(3);
  const std::vector<GenerationJob> jobs = {first, near, far};
  const auto fresh = run(jobs, 1, 0);
  const auto pooled = run(jobs, 1, size_t{1} << 26);
  const auto batched = run(jobs, 16, size_t{1} << 26);
  for (size_t i = 0; i < jobs.size(); ++i) {
    ASSERT_EQ(fresh[i].error, "") << i;
    EXPECT_EQ(pooled[i].tokens, fresh[i].tokens) << "prefix reuse, job " << i;
    EXPECT_EQ(batched[i].tokens, fresh[i].tokens) << "batched, job " << i;
  }
  EXPECT_EQ(pooled[1].cached_tokens, 46);
  EXPECT_EQ(pooled[2].cached_tokens, 0) << "the ring no longer holds positions 34..37";
}

// A Session's caches follow the model's windows: Adopt refuses a cache
// without them.
TEST(KvRing, SessionCachesUseTheModelsWindows) {
  auto model = RandomGemma2();
  const auto& hp = model->hparams();
  Session s(*model, CpuKernels(), {.n_ctx = 256, .n_batch = 4});
  const int id = s.Add();
  const auto p = Prompt(30, 5);
  SeqTokens st{id, p};
  tbb::task_arena arena(2);
  arena.execute([&] { ASSERT_EQ(s.Step({&st, 1})[0], ""); });
  auto cache = s.Release(id);
  EXPECT_EQ(cache->slots(0), kWindow - 1 + 4);
  EXPECT_EQ(cache->slots(1), 256);
  EXPECT_NO_THROW(s.Adopt(std::move(cache)));
  EXPECT_THROW(s.Adopt(std::make_unique<KvCache>(hp.n_layer, hp.kv_dim(), 256, KvType::kF32)), Error);
}

}  // namespace
}  // namespace bhasa::native
