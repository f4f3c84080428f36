// Engine: text generation on the built-in engine — a Model, its Vocab, a
// kernel table (EngineOptions::device, see device.h) and a thread pool,
// running many generation jobs with continuous batching: up to max_batch
// sequences decode together (one forward call per step), and a finished
// sequence's slot is refilled from the queue at once. On "cpu" the steps run
// Forward over the kernel table with a KvCache per sequence; on "cuda" they
// run the device-resident forward pass (paged_step.h) over a paged KV cache
// whose shared prompt prefixes are shared blocks (engine_paged.cc).
//
// Usage:
//   Engine e(Model::Load(path), {.threads = 2});
//   GenerationJob job{.prompt = e.vocab().Tokenize("Halo", true, true), .max_tokens = 32};
//   e.Generate({&job, 1}, [](size_t i, GenerationResult r) { ... });
//
// Determinism: each job has its own seeded Sampler, and every token row is
// computed independently of the others in its batch, so results do not depend
// on batch composition or thread count.
// Ownership: shares the Model and Vocab. Thread-safety: Generate may be called
// from one thread at a time. Failure: a job that cannot run (empty prompt,
// prompt longer than the context) is answered with GenerationResult::error;
// the others continue. A job whose prompt begins like an earlier job's
// (prompt and generated text) continues from that job's KV cache
// (EngineOptions::prefix_cache_bytes). Constructors throw bhasa::Error for unusable models
// and for a device that is unknown or unavailable.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tbb/task_arena.h>

#include "backends/native/kernels.h"
#include "backends/native/kv_cache.h"
#include "backends/native/llama_model.h"
#include "backends/native/logprobs.h"
#include "backends/native/paged_session.h"
#include "backends/native/prefix_pool.h"
#include "backends/native/sampler.h"
#include "backends/native/vocab.h"

namespace bhasa::native {

struct EngineOptions {
  int threads = 0;          // 0 = all hardware threads
  int64_t n_ctx = 0;        // per sequence; 0 = the model's training context
  KvType kv_type = KvType::kF32;  // cpu; the cuda path's paged cache is always f16
  int max_batch = 16;       // sequences decoded together
  int64_t n_batch = 512;    // tokens per forward call during prefill
  std::string device = "cpu";  // kernel table: "cpu" or "cuda" (KernelsForDevice)
  // KV memory kept from finished sequences so later prompts with the same
  // beginning skip evaluating it (PrefixPool); 0 turns reuse off. The cuda
  // path keeps finished prompts' full blocks indexed in its paged cache instead.
  size_t prefix_cache_bytes = size_t{1} << 30;
  // Share of the GPU's memory weights, KV cache and activations may take
  // (device "cuda"); a model over it is refused when the Engine is built
  // (CheckGpuFit), and the KV cache gets what the rest leaves.
  double gpu_memory_fraction = 0.9;
};

// Throws the clear "does not fit" error (gpu_memory.h) unless the model's
// weights in their block format plus an f16 KV cache of one sequence's
// context (options.n_ctx, or the model's) fit gpu_memory_fraction of the
// device's memory; a no-op for "cpu" beyond checking that the fraction is in
// (0, 1].
void CheckGpuFit(const Model& model, const EngineOptions& options);

struct GenerationJob {
  std::vector<int32_t> prompt;
  int max_tokens = 256;
  SamplerParams sampler;
  std::vector<std::string> stop;  // stop strings, matched on the decoded text
  bool include_stop = false;      // keep the matched stop string in the text
  bool stop_at_eog = true;        // EOS/EOT tokens end generation
  // Streaming: called on the Generate thread with each new piece of text as
  // tokens are accepted, before on_done. The pieces concatenate to
  // GenerationResult::text; none splits a UTF-8 character or sends bytes a
  // stop string may still claim (StreamableLength), except the last piece of
  // a text cut mid-character by max_tokens.
  std::function<void(std::string_view)> on_text;
  // When it becomes true the job ends at its next token with finish_reason
  // "abort" (or before it starts): nobody waits for the rest.
  std::shared_ptr<const std::atomic<bool>> cancelled;
  // True: a prompt whose length plus max_tokens exceeds the context fails
  // before any work ("does not fit"), instead of stopping at the context's end.
  bool refuse_beyond_context = false;
  // Log-probabilities (logprobs.h). Of each sampled token, with top_logprobs
  // alternatives, when `logprobs`. Of the prompt tokens from index
  // prompt_logprobs_from on (-1 = none; the first token has no context, so at
  // least 1), with prompt_top_logprobs alternatives: those need the logits at
  // every prompt position, so the prompt's beginning is taken from a cache
  // only up to token prompt_logprobs_from - 1. With prompt log-probs,
  // max_tokens 0 evaluates the prompt and samples nothing.
  bool logprobs = false;
  int top_logprobs = 0;
  int prompt_logprobs_from = -1;
  int prompt_top_logprobs = 0;
};

struct GenerationResult {
  std::vector<int32_t> tokens;  // every sampled token (an ending EOG included)
  std::string text;             // decoded, cut at the stop string
  std::string finish_reason;    // "stop", "length", "abort" or "error"
  std::string error;            // non-empty when the job failed
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int cached_tokens = 0;        // leading prompt tokens taken from an earlier sequence's cache
  double seconds = 0;
  std::vector<TokenLogprob> logprobs;         // one per entry of tokens, when asked
  std::vector<TokenLogprob> prompt_logprobs;  // prompt tokens prompt_logprobs_from.., when asked
};

class Engine {
 public:
  Engine(std::shared_ptr<const Model> model, EngineOptions options = {});
  Engine(std::shared_ptr<const Model> model, std::shared_ptr<const Vocab> vocab, EngineOptions options);
  // Runs the paged scheduler over `device` (a DeviceForward: the CUDA
  // module's, or HostPagedForward, its CPU twin) whatever options.device says.
  Engine(std::shared_ptr<const Model> model, std::shared_ptr<const Vocab> vocab, EngineOptions options,
         std::unique_ptr<DeviceForward> device);

  // Runs every job; on_done(index, result) is called once per job, on the
  // calling thread, as each finishes.
  void Generate(std::span<const GenerationJob> jobs,
                const std::function<void(size_t, GenerationResult)>& on_done);
  // Logits (n_vocab floats) after evaluating `tokens` from an empty context.
  std::vector<float> PromptLogits(std::span<const int32_t> tokens);

  const Model& model() const { return *model_; }
  const Vocab& vocab() const { return *vocab_; }
  int threads() const { return threads_; }
  int64_t n_ctx() const;
  const Kernels& kernels() const { return *kernels_; }
  // The device-resident forward pass (--device cuda), or null (cpu).
  DeviceForward* device_forward() { return paged_ ? &paged_->device() : nullptr; }

 private:
  // Generate and PromptLogits over the device-resident forward pass and its
  // paged KV cache (engine_paged.cc).
  void GeneratePaged(std::span<const GenerationJob> jobs, const std::function<void(size_t, GenerationResult)>& on_done);
  std::vector<float> PromptLogitsPaged(std::span<const int32_t> tokens);

  std::shared_ptr<const Model> model_;
  std::shared_ptr<const Vocab> vocab_;
  EngineOptions options_;
  const Kernels* kernels_;
  int threads_;
  tbb::task_arena arena_;
  PrefixPool prefix_pool_;  // survives across Generate calls
  std::unique_ptr<PagedSession> paged_;  // device "cuda"; its indexed prefix blocks survive across calls
};

}  // namespace bhasa::native
