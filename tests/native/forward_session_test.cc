// Session, Forward and Engine behaviour on small generated models (and the
// llama-tiny fixture for text-level generation): chunked prefill, batched
// decode, context errors, KV cache types, continuous batching, stop rules.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>

#include "backends/native/engine.h"
#include "backends/native/forward.h"
#include "backends/native/gguf_writer.h"
#include "backends/native/kernels.h"
#include "backends/native/session.h"
#include "common/error.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

constexpr int64_t kVocab = 40, kEmbd = 64, kHeads = 4, kKvHeads = 2, kFf = 96, kLayers = 2;

// Writes a random Llama-shaped GGUF with matrices of `type` and returns its path.
std::string WriteRandomModel(GgmlType type, bool tied, const std::string& tag) {
  std::mt19937 rng(1234);
  std::normal_distribution<float> dist(0.0f, 0.08f);
  auto rand = [&](int64_t n, float base = 0.0f, float scale = 1.0f) {
    std::vector<float> v(n);
    for (auto& x : v) x = base + scale * dist(rng);
    return v;
  };
  GgufWriter w;
  w.Add("general.architecture", MetaValue::Str("llama"));
  w.Add("llama.embedding_length", MetaValue::Int(GgufValueType::kUint32, kEmbd));
  w.Add("llama.block_count", MetaValue::Int(GgufValueType::kUint32, kLayers));
  w.Add("llama.attention.head_count", MetaValue::Int(GgufValueType::kUint32, kHeads));
  w.Add("llama.attention.head_count_kv", MetaValue::Int(GgufValueType::kUint32, kKvHeads));
  w.Add("llama.feed_forward_length", MetaValue::Int(GgufValueType::kUint32, kFf));
  w.Add("llama.context_length", MetaValue::Int(GgufValueType::kUint32, 64));
  w.Add("llama.rope.freq_base", MetaValue::Float(GgufValueType::kFloat32, 10000.0));
  w.Add("llama.attention.layer_norm_rms_epsilon", MetaValue::Float(GgufValueType::kFloat32, 1e-5));
  const int64_t hd = kEmbd / kHeads, kv = kKvHeads * hd;
  w.AddTensor("token_embd.weight", type, {kEmbd, kVocab}, rand(kVocab * kEmbd, 0, 10));
  w.AddTensor("output_norm.weight", GgmlType::F32, {kEmbd}, rand(kEmbd, 1.0f));
  if (!tied) w.AddTensor("output.weight", type, {kEmbd, kVocab}, rand(kVocab * kEmbd, 0, 5));
  for (int64_t l = 0; l < kLayers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    w.AddTensor(p + "attn_norm.weight", GgmlType::F32, {kEmbd}, rand(kEmbd, 1.0f));
    w.AddTensor(p + "attn_q.weight", type, {kEmbd, kEmbd}, rand(kEmbd * kEmbd, 0, 3));
    w.AddTensor(p + "attn_k.weight", type, {kEmbd, kv}, rand(kEmbd * kv, 0, 3));
    w.AddTensor(p + "attn_v.weight", type, {kEmbd, kv}, rand(kEmbd * kv));
    w.AddTensor(p + "attn_output.weight", type, {kEmbd, kEmbd}, rand(kEmbd * kEmbd));
    w.AddTensor(p + "ffn_norm.weight", GgmlType::F32, {kEmbd}, rand(kEmbd, 1.0f));
    w.AddTensor(p + "ffn_gate.weight", type, {kEmbd, kFf}, rand(kEmbd * kFf));
    w.AddTensor(p + "ffn_up.weight", type, {kEmbd, kFf}, rand(kEmbd * kFf));
    w.AddTensor(p + "ffn_down.weight", type, {kFf, kEmbd}, rand(kFf * kEmbd));
  }
  const std::string path = testing::TempDir("native-" + tag) + "/model.gguf";
  w.Write(path);
  return path;
}

std::vector<int32_t> Prompt(int n, int salt) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back((i * 7 + salt * 13 + 1) % kVocab);
  return t;
}

std::vector<float> Logits(const Session& s, int seq) {
  auto l = s.Logits(seq);
  return {l.begin(), l.end()};
}

TEST(Session, ChunkedPrefillAndBatchedDecodeMatchOneByOne) {
  auto model = Model::Load(WriteRandomModel(GgmlType::Q8_0, false, "batch"));
  tbb::task_arena arena(2);
  arena.execute([&] {
    // Reference: each sequence alone, prompt in one call, then decode.
    std::vector<std::vector<float>> want, want_prompt;
    for (int s = 0; s < 3; ++s) {
      Session one(*model, CpuKernels(), {.n_ctx = 64});
      const int id = one.Add();
      const auto p = Prompt(5 + 4 * s, s);
      SeqTokens st{id, p};
      ASSERT_EQ(one.Step({&st, 1})[0], "");
      want_prompt.push_back(Logits(one, id));
      const int32_t next[1] = {static_cast<int32_t>(s + 2)};
      SeqTokens dt{id, next};
      ASSERT_EQ(one.Step({&dt, 1})[0], "");
      want.push_back(Logits(one, id));
    }
    // All three together, prompts split into chunks of 4 tokens.
    Session many(*model, CpuKernels(), {.n_ctx = 64, .n_batch = 4});
    std::vector<int> ids = {many.Add(), many.Add(), many.Add()};
    std::vector<std::vector<int32_t>> prompts = {Prompt(5, 0), Prompt(9, 1), Prompt(13, 2)};
    std::vector<SeqTokens> steps;
    for (int s = 0; s < 3; ++s) steps.push_back({ids[s], prompts[s]});
    for (const auto& e : many.Step(steps)) ASSERT_EQ(e, "");
    EXPECT_EQ(many.Length(ids[2]), 13);
    // Calls mixing one sequence's last chunk with another's middle chunk
    // (which asks for no logits) hand each sequence its own.
    for (int s = 0; s < 3; ++s) EXPECT_EQ(Logits(many, ids[s]), want_prompt[s]) << "prompt of sequence " << s;
    std::vector<int32_t> next = {2, 3, 4};
    steps.clear();
    for (int s = 0; s < 3; ++s) steps.push_back({ids[s], {&next[s], 1}});
    for (const auto& e : many.Step(steps)) ASSERT_EQ(e, "");
    // Every token row is computed independently of its batch: bit-identical.
    for (int s = 0; s < 3; ++s) EXPECT_EQ(Logits(many, ids[s]), want[s]) << "sequence " << s;
  });
}

TEST(Session, SequenceOverContextFailsAloneAndStaysUnchanged) {
  auto model = Model::Load(WriteRandomModel(GgmlType::F32, true, "ctx"));
  Session s(*model, CpuKernels(), {.n_ctx = 10});
  const int a = s.Add(), b = s.Add();
  const auto pa = Prompt(6, 1), pb = Prompt(11, 2);
  std::vector<SeqTokens> steps = {{a, pa}, {b, pb}};
  const auto errors = s.Step(steps);
  EXPECT_EQ(errors[0], "");
  EXPECT_NE(errors[1].find("context length exceeded"), std::string::npos) << errors[1];
  EXPECT_EQ(s.Length(a), 6);
  EXPECT_EQ(s.Length(b), 0);
  EXPECT_TRUE(s.Logits(b).empty());
  const int32_t bad[1] = {kVocab};
  SeqTokens st{a, bad};
  EXPECT_NE(s.Step({&st, 1})[0].find("outside the vocabulary"), std::string::npos);
  EXPECT_EQ(s.Length(a), 6);
  SeqTokens dup[2] = {{a, pa}, {a, pa}};
  EXPECT_THROW(s.Step(dup), Error);
}

TEST(Forward, CpuTableMatchesReferenceTableAndF16CacheIsClose) {
  for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::Q4_0}) {
    SCOPED_TRACE(TypeName(type));
    auto model = Model::Load(WriteRandomModel(type, type == GgmlType::F16, std::string("ref-") + TypeName(type)));
    const auto p = Prompt(17, 3);
    auto run = [&](const Kernels& k, KvType kv) {
      Forward f(*model, k);
      KvCache cache(kLayers, kKvHeads * kEmbd / kHeads, 64, kv);
      SeqChunk c{&cache, p, true};
      std::vector<float> out;
      f.Run({&c, 1}, out);
      EXPECT_EQ(out.size(), p.size() * kVocab);
      return out;
    };
    const auto ref = run(RefKernels(), KvType::kF32), cpu = run(CpuKernels(), KvType::kF32),
               half = run(CpuKernels(), KvType::kF16);
    double dot = 0, nh = 0, nr = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
      // SIMD and scalar dot products sum in different orders.
      ASSERT_NEAR(cpu[i], ref[i], 1e-3f * (1 + std::fabs(ref[i]))) << i;
      dot += double(half[i]) * ref[i];
      nh += double(half[i]) * half[i];
      nr += double(ref[i]) * ref[i];
    }
    // An f16 K/V cache rounds every cached value: compare the logits as vectors.
    EXPECT_GE(dot / std::sqrt(nh * nr), 0.999);
  }
}

TEST(Forward, ObserverSeesEveryStepWithTheRowsItWrote) {
  auto model = Model::Load(WriteRandomModel(GgmlType::F32, false, "observer"));
  const auto p = Prompt(5, 1);
  Forward f(*model, RefKernels());
  std::vector<size_t> indices;
  std::vector<int64_t> rows;
  std::vector<float> last;
  f.SetObserver([&](size_t index, const Step& step, const float* dst, int64_t n_rows, int64_t width) {
    indices.push_back(index);
    rows.push_back(n_rows);
    if (step.dst == Buf::kLogits) last.assign(dst, dst + n_rows * width);
  });
  KvCache cache(kLayers, kKvHeads * kEmbd / kHeads, 64, KvType::kF32);
  SeqChunk c{&cache, p};
  std::vector<float> out;
  f.Run({&c, 1}, out);
  const auto& steps = model->program().steps;
  ASSERT_EQ(indices.size(), steps.size());
  for (size_t i = 0; i < indices.size(); ++i) EXPECT_EQ(indices[i], i);
  EXPECT_EQ(rows.front(), 5);  // every prompt row until the last layer keeps the output rows
  EXPECT_EQ(rows.back(), 1);
  EXPECT_EQ(last, out);  // the last step writes the caller's logits
}

TEST(Model, RejectsWrongShapesAndArchitectures) {
  GgufWriter w;
  w.Add("general.architecture", MetaValue::Str("gpt2"));
  const std::string path = testing::TempDir("native-arch") + "/m.gguf";
  w.Write(path);
  try {
    Model::Load(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gpt2"), std::string::npos) << e.what();
  }
}

// Text-level generation on the llama-tiny fixture (it has a vocabulary).
class EngineFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string rel = "fixtures/llama-tiny/reference/llama-tiny-F32.json";
    BHASA_REQUIRE_SHARED(rel);
    std::ifstream(testing::SharedDir() + "/" + rel) >> ref_;
    model_ = Model::Load(testing::SharedDir() + "/fixtures/llama-tiny/models/llama-tiny-F32.gguf");
  }
  nlohmann::json ref_;
  std::shared_ptr<const Model> model_;
};

TEST_F(EngineFixture, ContinuousBatchingReproducesGreedyReference) {
  Engine engine(model_, {.threads = 2, .n_ctx = 512, .max_batch = 3});
  std::vector<GenerationJob> jobs;
  for (const auto& c : ref_["cases"]) {
    GenerationJob j;
    j.prompt = c["tokens_bos"].get<std::vector<int32_t>>();
    j.max_tokens = 24;
    j.stop_at_eog = false;
    jobs.push_back(j);
  }
  std::vector<GenerationResult> results(jobs.size());
  std::vector<int> calls(jobs.size(), 0);
  engine.Generate(jobs, [&](size_t i, GenerationResult r) {
    ++calls[i];
    results[i] = std::move(r);
  });
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(calls[i], 1);
    EXPECT_EQ(results[i].tokens, ref_["cases"][i]["greedy"].get<std::vector<int32_t>>()) << i;
    EXPECT_EQ(results[i].finish_reason, "length");
    EXPECT_EQ(results[i].completion_tokens, 24);
    EXPECT_EQ(results[i].prompt_tokens, static_cast<int>(jobs[i].prompt.size()));
    EXPECT_EQ(results[i].text, engine.vocab().Detokenize(results[i].tokens));
  }
}

// A prompt that repeats an earlier job's prompt and generated text continues
// from that job's pooled cache, and the continuation still equals llama.cpp's
// greedy reference; with the pool off nothing is reused and nothing changes.
TEST_F(EngineFixture, SharedPrefixesAreReusedWithoutChangingResults) {
  for (size_t budget : {size_t{1} << 30, size_t{0}}) {
    SCOPED_TRACE("budget " + std::to_string(budget));
    Engine engine(model_, {.threads = 2, .n_ctx = 512, .max_batch = 1, .prefix_cache_bytes = budget});
    std::vector<GenerationJob> jobs;
    for (const auto& c : ref_["cases"]) {
      const auto prompt = c["tokens_bos"].get<std::vector<int32_t>>();
      const auto greedy = c["greedy"].get<std::vector<int32_t>>();
      GenerationJob first;
      first.prompt = prompt;
      first.max_tokens = 24;
      first.stop_at_eog = false;
      GenerationJob again = first;  // the prompt plus the first 10 greedy tokens
      again.prompt.insert(again.prompt.end(), greedy.begin(), greedy.begin() + 10);
      again.max_tokens = 14;
      jobs.push_back(first);
      jobs.push_back(again);
    }
    std::vector<GenerationResult> results(jobs.size());
    engine.Generate(jobs, [&](size_t i, GenerationResult r) { results[i] = std::move(r); });
    for (size_t k = 0; k < ref_["cases"].size(); ++k) {
      const auto greedy = ref_["cases"][k]["greedy"].get<std::vector<int32_t>>();
      const auto& again = results[2 * k + 1];
      EXPECT_EQ(results[2 * k].tokens, greedy) << k;
      EXPECT_EQ(again.tokens, std::vector<int32_t>(greedy.begin() + 10, greedy.end())) << k;
      // Everything but the last prompt token comes from the first job's cache
      // (when that is at least 16 tokens).
      const int shared = static_cast<int>(jobs[2 * k + 1].prompt.size()) - 1;
      EXPECT_EQ(again.cached_tokens, budget > 0 && shared >= 16 ? shared : 0) << k;
      EXPECT_EQ(results[2 * k].cached_tokens, 0) << k;  // different lengths: nothing to share before
    }
  }
}

// Jobs admitted together that share a beginning: the later ones copy the
// first one's cache after its prefill; tokens equal a run with reuse off.
TEST_F(EngineFixture, JobsAdmittedTogetherShareTheirCommonBeginning) {
  std::vector<GenerationJob> jobs;
  for (const auto& c : ref_["cases"]) {
    const auto prompt = c["tokens_bos"].get<std::vector<int32_t>>();
    const auto greedy = c["greedy"].get<std::vector<int32_t>>();
    for (int variant = 0; variant < 2; ++variant) {
      GenerationJob j;
      j.prompt = prompt;
      j.prompt.insert(j.prompt.end(), greedy.begin() + 5 * variant, greedy.begin() + 5 * variant + 5);
      j.max_tokens = 8;
      j.stop_at_eog = false;
      jobs.push_back(j);
    }
  }
  auto run = [&](size_t budget) {
    Engine engine(model_, {.threads = 2, .n_ctx = 512, .max_batch = 16, .prefix_cache_bytes = budget});
    std::vector<GenerationResult> results(jobs.size());
    engine.Generate(jobs, [&](size_t i, GenerationResult r) { results[i] = std::move(r); });
    return results;
  };
  const auto shared = run(size_t{1} << 30), alone = run(0);
  for (size_t i = 0; i < jobs.size(); ++i) {
    const int prefix = static_cast<int>(jobs[i].prompt.size()) - 5;  // the case's prompt
    EXPECT_EQ(shared[i].tokens, alone[i].tokens) << i;
    EXPECT_EQ(alone[i].cached_tokens, 0) << i;
    EXPECT_EQ(shared[i].cached_tokens, i % 2 == 1 && prefix >= 16 ? prefix : 0) << i;
  }
}

TEST_F(EngineFixture, StopStringsEogAndContextErrors) {
  Engine engine(model_, {.threads = 2, .n_ctx = 40});
  const auto& c = ref_["cases"][0];  // en-1tok: greedy reaches <|end_of_text|> (764) at step 16
  const auto greedy = c["greedy"].get<std::vector<int32_t>>();
  const std::string full = engine.vocab().Detokenize(std::vector<int32_t>(greedy.begin(), greedy.begin() + 4));
  ASSERT_GE(full.size(), 3u);
  GenerationJob base;
  base.prompt = c["tokens_bos"].get<std::vector<int32_t>>();
  base.max_tokens = 24;
  GenerationJob eog = base, stop = base, stop_incl = base, too_long = base, zero = base;
  stop.stop = {full.substr(full.size() - 2)};
  stop_incl.stop = stop.stop;
  stop_incl.include_stop = true;
  too_long.prompt.assign(45, 32);
  zero.max_tokens = 0;
  std::vector<GenerationJob> jobs = {eog, stop, stop_incl, too_long, zero};
  std::vector<GenerationResult> r(jobs.size());
  engine.Generate(jobs, [&](size_t i, GenerationResult g) { r[i] = std::move(g); });

  const auto eot_at = std::find_if(greedy.begin(), greedy.end(), [&](int32_t t) { return engine.vocab().IsEog(t); }) -
                      greedy.begin();
  ASSERT_LT(eot_at, 24);
  EXPECT_EQ(r[0].finish_reason, "stop");
  EXPECT_EQ(r[0].tokens, std::vector<int32_t>(greedy.begin(), greedy.begin() + eot_at + 1));
  EXPECT_EQ(r[1].finish_reason, "stop");
  // Generation stops at the first occurrence of the stop string.
  const size_t cut = full.find(stop.stop[0]);
  EXPECT_EQ(r[1].text, full.substr(0, cut));
  EXPECT_EQ(r[2].text, full.substr(0, cut + stop.stop[0].size()));
  EXPECT_EQ(r[3].finish_reason, "error");
  EXPECT_NE(r[3].error.find("does not fit"), std::string::npos);
  EXPECT_EQ(r[4].finish_reason, "length");
  EXPECT_TRUE(r[4].tokens.empty());
}

TEST_F(EngineFixture, StreamedPiecesConcatenateToTheTextAndNeverReachAStopString) {
  Engine engine(model_, {.threads = 2, .n_ctx = 512, .max_batch = 2});
  const auto& c = ref_["cases"][0];
  const auto greedy = c["greedy"].get<std::vector<int32_t>>();
  const std::string full = engine.vocab().Detokenize(std::vector<int32_t>(greedy.begin(), greedy.begin() + 6));
  ASSERT_GE(full.size(), 4u);
  std::vector<std::vector<std::string>> pieces(2);
  std::vector<int> pieces_before_done(2, -1);
  std::vector<GenerationJob> jobs(2);
  for (size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].prompt = c["tokens_bos"].get<std::vector<int32_t>>();
    jobs[i].max_tokens = 12;
    jobs[i].on_text = [&pieces, i](std::string_view s) { pieces[i].emplace_back(s); };
  }
  jobs[1].stop = {full.substr(full.size() - 3)};  // ends the text mid-way
  std::vector<GenerationResult> r(jobs.size());
  engine.Generate(jobs, [&](size_t i, GenerationResult g) {
    pieces_before_done[i] = static_cast<int>(pieces[i].size());
    r[i] = std::move(g);
  });
  for (size_t i = 0; i < jobs.size(); ++i) {
    std::string joined;
    for (const auto& p : pieces[i]) {
      EXPECT_FALSE(p.empty());
      joined += p;
    }
    EXPECT_EQ(joined, r[i].text) << i;
    EXPECT_EQ(pieces_before_done[i], static_cast<int>(pieces[i].size())) << "every piece comes before on_done";
  }
  EXPECT_GT(pieces[0].size(), 1u) << "text arrives token by token, not at the end";
  EXPECT_EQ(r[1].finish_reason, "stop");
  EXPECT_EQ(r[1].text, full.substr(0, full.find(jobs[1].stop[0])));
}

}  // namespace
}  // namespace bhasa::native
