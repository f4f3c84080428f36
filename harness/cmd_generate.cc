// `bhasa generate` (text continuation with the built-in engine) and
// `bhasa model logits` (last-position logits after a prompt).
#include <algorithm>
#include <cstdio>
#include <numeric>

#include <nlohmann/json.hpp>

#include "backends/native/engine.h"
#include "backends/native/llama_model.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "harness/command.h"
#include "harness/flags.h"

namespace bhasa {
namespace {

int Generate(std::span<const std::string> args) {
  std::string model_path, text, device = "cpu";
  int max_tokens = 32, threads = 0, ctx = 0, top_k = 0;
  double temperature = 0.8, top_p = 1.0;
  long long seed = 1234;
  bool greedy = false, json = false, eog = true;
  Flags f("generate", "MODEL --text T [--max-tokens N] [--greedy] [--json]",
          "Continues T with the built-in engine (BOS added, special-token text parsed).");
  f.Positional("MODEL", &model_path, "GGUF file or HF model directory")
      .String("text", &text, "prompt text")
      .Int("max-tokens", &max_tokens, "tokens to generate")
      .Bool("greedy", &greedy, "argmax decoding (ignores temperature/top-p/top-k)")
      .Double("temperature", &temperature, "sampling temperature")
      .Double("top-p", &top_p, "nucleus cut (1 = off)")
      .Int("top-k", &top_k, "top-k cut (0 = off)")
      .Int64("seed", &seed, "sampler seed")
      .Bool("stop-at-eog", &eog, "end at EOS/EOT tokens")
      .Int("threads", &threads, "CPU threads (0 = all cores)")
      .String("device", &device, "cpu | cuda (weight matmuls on the GPU)", "NAME")
      .Int("ctx", &ctx, "context length (0 = the model's)")
      .Bool("json", &json, "print token ids and text as JSON");
  if (!f.Parse(args)) return kExitOk;
  if (!f.WasSet("text")) throw Error("generate: --text is required", kExitUsage);

  native::Engine engine(native::Model::Load(model_path), {.threads = threads, .n_ctx = ctx, .device = device});
  native::GenerationJob job;
  job.prompt = engine.vocab().Tokenize(text, /*add_special=*/true, /*parse_special=*/true);
  job.max_tokens = max_tokens;
  job.stop_at_eog = eog;
  if (!greedy) job.sampler = {static_cast<float>(temperature), top_k, static_cast<float>(top_p), static_cast<uint64_t>(seed)};
  native::GenerationResult result;
  engine.Generate({&job, 1}, [&](size_t, native::GenerationResult r) { result = std::move(r); });
  if (!result.error.empty()) throw Error("generate: " + result.error, kExitRuntime);
  if (json) {
    nlohmann::json j = {{"prompt_tokens", job.prompt}, {"tokens", result.tokens}, {"text", result.text},
                        {"finish_reason", result.finish_reason}, {"seconds", result.seconds}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("%s\n", result.text.c_str());
  }
  return kExitOk;
}

int Logits(std::span<const std::string> args) {
  std::string model_path, text, device = "cpu";
  int top = 10, threads = 0;
  bool all = false, json = false;
  Flags f("model logits", "MODEL --text T [--top K] [--all] [--json]",
          "Prints the logits at the last position after evaluating T (BOS added, special-token text parsed).");
  f.Positional("MODEL", &model_path, "GGUF file or HF model directory")
      .String("text", &text, "prompt text")
      .Int("top", &top, "how many of the largest logits to print")
      .Bool("all", &all, "print every logit in id order")
      .Int("threads", &threads, "CPU threads (0 = all cores)")
      .String("device", &device, "cpu | cuda (weight matmuls on the GPU)", "NAME")
      .Bool("json", &json, "JSON output");
  if (!f.Parse(args)) return kExitOk;
  if (!f.WasSet("text")) throw Error("model logits: --text is required", kExitUsage);

  native::Engine engine(native::Model::Load(model_path), {.threads = threads, .device = device});
  const auto tokens = engine.vocab().Tokenize(text, true, true);
  const auto logits = engine.PromptLogits(tokens);
  std::vector<int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  const size_t k = all ? order.size() : std::min<size_t>(std::max(top, 0), order.size());
  if (!all)
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
      return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
    });
  if (json) {
    nlohmann::json j = {{"tokens", tokens}, {"n_vocab", logits.size()}};
    if (all) j["logits"] = logits;
    nlohmann::json t = nlohmann::json::array();
    if (!all)
      for (size_t i = 0; i < k; ++i) t.push_back({order[i], logits[order[i]]});
    j["top"] = t;
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  std::printf("%zu prompt tokens, n_vocab %zu\n", tokens.size(), logits.size());
  for (size_t i = 0; i < k; ++i) {
    const int32_t id = order[i];
    std::printf("%7d %12.6f  %s\n", id, logits[id], nlohmann::json(engine.vocab().TokenToPiece(id)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  }
  return kExitOk;
}

const RegisterCommand kGenerate("generate", "continue a text with the built-in engine", Generate);
const RegisterCommand kLogits("model logits", "last-position logits of a prompt", Logits);

}  // namespace
}  // namespace bhasa
