// The forward pass against llama.cpp's reference outputs for the tiny fixture
// models of each architecture (../shared/fixtures/{llama,llama31,qwen2,
// gemma2}-tiny): one test per model file and KV cache type.
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>

#include "backends/native/forward.h"
#include "backends/native/kernels.h"
#include "backends/native/kv_cache.h"
#include "backends/native/llama_model.h"
#include "backends/native/sampler.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

struct FixtureCase {
  std::string set;        // fixture folder under fixtures/
  std::string model;      // file stem under models/
  std::string reference;  // file stem under reference/
  enum Check { kExact, kHalf, kQuant } check;
  KvType kv = KvType::kF32;
};

std::string CaseName(const ::testing::TestParamInfo<FixtureCase>& info) {
  std::string s = info.param.reference;
  if (s.rfind(info.param.set, 0) == 0) s = s.substr(info.param.set.size() + 1);
  for (char& c : s)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

class ForwardFixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(ForwardFixtureTest, MatchesLlamaCpp) {
  const FixtureCase& fc = GetParam();
  const std::string dir = "fixtures/" + fc.set + "/";
  const std::string model_rel = dir + "models/" + fc.model + ".gguf";
  const std::string ref_rel = dir + "reference/" + fc.reference + ".json";
  BHASA_REQUIRE_SHARED(model_rel);
  BHASA_REQUIRE_SHARED(ref_rel);
  const std::string shared = testing::SharedDir() + "/";

  nlohmann::json ref;
  std::ifstream(shared + ref_rel) >> ref;
  auto model = Model::Load(shared + model_rel);
  const auto& hp = model->hparams();
  ASSERT_EQ(hp.n_vocab, ref["n_vocab"].get<int64_t>());

  tbb::task_arena arena(2);
  arena.execute([&] {
    Forward fwd(*model, CpuKernels());
    std::vector<float> logits;
    for (const auto& c : ref["cases"]) {
      SCOPED_TRACE(c["id"].get<std::string>());
      const auto tokens = c["tokens_bos"].get<std::vector<int32_t>>();
      const auto want = c["last_logits"].get<std::vector<float>>();
      const auto greedy = c["greedy"].get<std::vector<int32_t>>();
      const auto margin = c["greedy_margin"].get<std::vector<double>>();
      KvCache cache(hp.n_layer, hp.kv_dim(), ref["n_ctx"].get<int64_t>(), fc.kv);
      SeqChunk chunk{&cache, tokens};
      fwd.Run({&chunk, 1}, logits);
      ASSERT_EQ(logits.size(), want.size());

      double max_diff = 0, dot = 0, na = 0, nb = 0;
      for (size_t i = 0; i < want.size(); ++i) {
        max_diff = std::max(max_diff, static_cast<double>(std::fabs(logits[i] - want[i])));
        dot += static_cast<double>(logits[i]) * want[i];
        na += static_cast<double>(logits[i]) * logits[i];
        nb += static_cast<double>(want[i]) * want[i];
      }
      const double cosine = dot / std::sqrt(na * nb);
      if (fc.check == FixtureCase::kExact) {
        EXPECT_LE(max_diff, 1e-3);
      } else if (fc.check == FixtureCase::kHalf) {
        EXPECT_LE(max_diff, 1e-2);
      } else {
        EXPECT_GE(cosine, 0.999) << "max |diff| " << max_diff;
      }

      // Greedy continuation, each token fed back one at a time as llama.cpp did.
      size_t n_check = greedy.size();
      if (fc.check != FixtureCase::kExact)
        for (size_t i = 0; i < margin.size(); ++i)
          if (margin[i] < 0.05) {
            n_check = i;
            break;
          }
      for (size_t step = 0; step < n_check; ++step) {
        const int32_t tok = Argmax(logits);
        ASSERT_EQ(tok, greedy[step]) << "greedy step " << step;
        if (step + 1 < n_check) {
          int32_t one[1] = {tok};
          SeqChunk next{&cache, one};
          fwd.Run({&next, 1}, logits);
        }
      }
    }
  });
}

// One set's cases: every model file with its reference, the strictest
// bound its type allows; F32 also with an f16 cache where recorded.
std::vector<FixtureCase> SetCases(const std::string& set, std::vector<std::string> quants, bool tied,
                                  std::vector<std::string> tied_types = {}) {
  auto one = [&](const std::string& stem, FixtureCase::Check check, KvType kv = KvType::kF32,
                 const std::string& ref_suffix = "") {
    return FixtureCase{set, set + "-" + stem, set + "-" + stem + ref_suffix, check, kv};
  };
  std::vector<FixtureCase> v = {one("F32", FixtureCase::kExact), one("F32", FixtureCase::kExact, KvType::kF16, ".kvf16"),
                                one("F16", FixtureCase::kHalf), one("BF16", FixtureCase::kHalf)};
  for (const auto& q : quants) v.push_back(one(q, FixtureCase::kQuant));
  if (tied) {
    v.push_back(one("tied-F32", FixtureCase::kExact));
    for (const auto& t : tied_types)
      v.push_back(one("tied-" + t, t == "F16" ? FixtureCase::kHalf : FixtureCase::kQuant));
  }
  return v;
}

std::vector<FixtureCase> LlamaCases() {
  return SetCases("llama-tiny", {"Q8_0", "Q6_K", "Q5_K_M", "Q5_0", "Q4_K_M", "Q4_0", "Q3_K_M", "Q2_K"}, true,
                  {"F16", "Q8_0", "Q4_0", "Q4_K_M"});
}

INSTANTIATE_TEST_SUITE_P(LlamaTiny, ForwardFixtureTest, ::testing::ValuesIn(LlamaCases()), CaseName);
INSTANTIATE_TEST_SUITE_P(Llama31Tiny, ForwardFixtureTest,
                         ::testing::ValuesIn(SetCases("llama31-tiny", {"Q8_0", "Q4_K_M", "Q4_0"}, false)), CaseName);
std::vector<FixtureCase> Qwen2Cases() {
  auto v = SetCases("qwen2-tiny", {"Q8_0", "Q4_K_M", "Q4_0"}, true, {"Q8_0"});
  v.push_back({"qwen2-tiny", "qwen2-tiny-tied-F32", "qwen2-tiny-tied-F32.kvf16", FixtureCase::kExact, KvType::kF16});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Qwen2Tiny, ForwardFixtureTest, ::testing::ValuesIn(Qwen2Cases()), CaseName);

}  // namespace
}  // namespace bhasa::native
