#include "backends/native/engine.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <thread>

#include "backends/native/device.h"
#include "backends/native/gpu_memory.h"
#include "backends/native/job_text.h"
#include "backends/native/session.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

int ResolveThreads(int t) {
  if (t > 0) return t;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

using Clock = std::chrono::steady_clock;

// One in-flight job.
// Shorter shared beginnings are cheaper to evaluate than to look up and keep.
constexpr int64_t kMinSharedPrefix = 16;

int64_t SharedPrefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  // Leave b at least one token to evaluate: its logits come from that step.
  const int64_t n = std::min<int64_t>(static_cast<int64_t>(a.size()), static_cast<int64_t>(b.size()) - 1);
  int64_t len = 0;
  while (len < n && a[len] == b[len]) ++len;
  return len;
}

struct Active {
  size_t index;
  int seq;
  Sampler sampler;
  GenerationResult result;
  int64_t reused = 0;       // prompt tokens already in the cache when admitted
  std::ptrdiff_t leader = -1;  // index in `active` of the job whose prefill this one copies
  JobTextState text;        // stop-string search and streaming progress
  bool done = false;
  Clock::time_point start;
};

}  // namespace

Engine::Engine(std::shared_ptr<const Model> model, EngineOptions options)
    : Engine(model, std::make_shared<const Vocab>(Vocab::FromModelFile(model->file())), options) {}

Engine::Engine(std::shared_ptr<const Model> model, std::shared_ptr<const Vocab> vocab, EngineOptions options)
    : model_(std::move(model)),
      vocab_(std::move(vocab)),
      options_(options),
      kernels_(&KernelsForDevice(options_.device)),
      threads_(ResolveThreads(options.threads)),
      arena_(threads_),
      prefix_pool_(options_.prefix_cache_bytes, kMinSharedPrefix) {
  if (options_.max_batch <= 0) options_.max_batch = 1;
  CheckGpuFit(*model_, options_);
  if (auto device = DeviceForwardFor(options_.device, *model_,
                                     {.gpu_memory_fraction = options_.gpu_memory_fraction,
                                      .n_ctx = n_ctx(),
                                      .n_batch = options_.n_batch,
                                      .max_batch = options_.max_batch}))
    paged_ = std::make_unique<PagedSession>(std::move(device), options_.n_batch);
}

Engine::Engine(std::shared_ptr<const Model> model, std::shared_ptr<const Vocab> vocab, EngineOptions options,
               std::unique_ptr<DeviceForward> device)
    : Engine(std::move(model), std::move(vocab), options) {
  paged_ = std::make_unique<PagedSession>(std::move(device), options_.n_batch);
}

void CheckGpuFit(const Model& model, const EngineOptions& options) {
  CheckGpuMemoryFraction(options.gpu_memory_fraction);  // a bad value is an error on any device
  if (options.device == "cpu") return;
  const auto& hp = model.hparams();
  PlanGpuMemory(model.file().path(), DeviceMemoryBytes(options.device), options.gpu_memory_fraction,
                DeviceWeightBytes(model.file().tensors(), DeviceWeightLayout::kBlocks),
                KvBytesPerPosition(hp.n_layer, hp.kv_dim(), KvType::kF16),
                options.n_ctx > 0 ? options.n_ctx : hp.n_ctx_train);
}

int64_t Engine::n_ctx() const { return options_.n_ctx > 0 ? options_.n_ctx : model_->hparams().n_ctx_train; }

std::vector<float> Engine::PromptLogits(std::span<const int32_t> tokens) {
  if (paged_) return PromptLogitsPaged(tokens);
  std::vector<float> out;
  arena_.execute([&] {
    Session session(*model_, *kernels_, {n_ctx(), options_.kv_type, options_.n_batch});
    const int seq = session.Add();
    SeqTokens step{seq, tokens};
    const auto errors = session.Step({&step, 1});
    if (!errors[0].empty()) throw Error(errors[0]);
    const auto logits = session.Logits(seq);
    out.assign(logits.begin(), logits.end());
  });
  return out;
}

void Engine::Generate(std::span<const GenerationJob> jobs,
                      const std::function<void(size_t, GenerationResult)>& on_done) {
  if (paged_) return GeneratePaged(jobs, on_done);
  arena_.execute([&] {
    Session session(*model_, *kernels_, {n_ctx(), options_.kv_type, options_.n_batch});
    const int64_t ctx = session.n_ctx();
    std::deque<size_t> queue;
    for (size_t i = 0; i < jobs.size(); ++i) queue.push_back(i);
    std::vector<Active> active;

    auto fail = [&](size_t index, const std::string& msg, int prompt_tokens) {
      GenerationResult r;
      r.finish_reason = "error";
      r.error = msg;
      r.prompt_tokens = prompt_tokens;
      on_done(index, std::move(r));
    };
    // Appends a sampled token and decides whether the job is finished.
    auto accept_token = [&](Active& a, int32_t token) {
      a.done = AcceptToken(jobs[a.index], *vocab_, token, session.Length(a.seq) + 1 > ctx, a.result, a.text);
    };
    // Hands the job's streaming callback the text that has become final.
    auto stream = [&](Active& a) { StreamText(jobs[a.index], a.result.text, a.done, a.text); };
    // Samples from the sequence's logits (the raw logits give the
    // log-probabilities), accepts the token, then streams the text it made final.
    auto sample = [&](Active& a) {
      const GenerationJob& job = jobs[a.index];
      const auto logits = session.Logits(a.seq);
      const int32_t token = a.sampler.Sample(logits);
      if (job.logprobs) a.result.logprobs.push_back(LogprobOf(logits, token, job.top_logprobs));
      accept_token(a, token);
      stream(a);
    };
    auto retire = [&] {
      for (auto& a : active)
        if (a.done) {
          a.result.seconds = std::chrono::duration<double>(Clock::now() - a.start).count();
          // Pool the cache with the tokens it holds: the prompt, then every
          // sampled token but the last (which was never fed back).
          const auto& prompt = jobs[a.index].prompt;
          const auto n = static_cast<size_t>(session.Length(a.seq));
          std::vector<int32_t> held(prompt.begin(), prompt.begin() + static_cast<std::ptrdiff_t>(std::min(n, prompt.size())));
          for (size_t i = 0; held.size() < n && i < a.result.tokens.size(); ++i) held.push_back(a.result.tokens[i]);
          prefix_pool_.Put(std::move(held), session.Release(a.seq));
          on_done(a.index, std::move(a.result));
        }
      std::erase_if(active, [](const Active& a) { return a.done; });
    };

    while (!queue.empty() || !active.empty()) {
      // Admit new jobs into free slots and prefill them together.
      std::vector<size_t> admitted;
      while (!queue.empty() && active.size() < static_cast<size_t>(options_.max_batch)) {
        const size_t i = queue.front();
        queue.pop_front();
        const GenerationJob& job = jobs[i];
        const int n_prompt = static_cast<int>(job.prompt.size());
        if (Cancelled(job)) {
          GenerationResult r;
          r.finish_reason = "abort";
          r.prompt_tokens = n_prompt;
          on_done(i, std::move(r));
          continue;
        }
        if (job.prompt.empty()) {
          fail(i, "empty prompt", 0);
          continue;
        }
        if (static_cast<int64_t>(job.prompt.size()) >= ctx) {
          fail(i, "prompt of " + std::to_string(n_prompt) + " tokens does not fit the context of " +
                      std::to_string(ctx) + " tokens", n_prompt);
          continue;
        }
        if (job.refuse_beyond_context && job.max_tokens > 0 && n_prompt + static_cast<int64_t>(job.max_tokens) > ctx) {
          fail(i, "prompt of " + std::to_string(n_prompt) + " tokens plus max_tokens " +
                      std::to_string(job.max_tokens) + " does not fit the context of " + std::to_string(ctx) +
                      " tokens",
               n_prompt);
          continue;
        }
        // Start from the longest beginning already evaluated: a pooled cache,
        // or a job admitted in this round (its cache is copied once prefilled).
        // Prompt log-probs need the positions before them evaluated here.
        const bool prompt_logprobs = job.prompt_logprobs_from >= 0;
        const auto reusable = std::span(job.prompt).first(
            prompt_logprobs ? std::min<size_t>(job.prompt.size(), static_cast<size_t>(std::max(job.prompt_logprobs_from, 1)))
                            : job.prompt.size());
        int64_t reused = prefix_pool_.Longest(reusable);
        std::ptrdiff_t leader = -1;
        if ((job.max_tokens > 0 || prompt_logprobs) && prefix_pool_.enabled())
          for (size_t k : admitted) {
            const Active& l = active[k];
            if (l.leader >= 0 || l.done) continue;
            const int64_t shared = SharedPrefix(jobs[l.index].prompt, reusable);
            if (shared >= kMinSharedPrefix && shared > reused) leader = static_cast<std::ptrdiff_t>(k), reused = shared;
          }
        std::unique_ptr<KvCache> cache;
        if (leader < 0) cache = prefix_pool_.Take(reusable, &reused);
        const int seq = leader >= 0 ? -1 : cache ? session.Adopt(std::move(cache)) : session.Add();
        Active a{i, seq, Sampler(job.sampler), {}, reused, leader, {}, false, Clock::now()};
        a.result.prompt_tokens = n_prompt;
        a.result.cached_tokens = static_cast<int>(reused);
        if (job.max_tokens <= 0 && !prompt_logprobs) {
          a.result.finish_reason = "length";
          a.done = true;
        }
        active.push_back(std::move(a));
        admitted.push_back(active.size() - 1);
      }
      if (!admitted.empty()) {
        // Leaders first; then each follower starts from a copy of its leader's
        // cache cut to the shared beginning (a fresh one if the leader failed).
        for (bool followers : {false, true}) {
          std::vector<SeqTokens> steps;
          std::vector<size_t> owners;
          for (size_t k : admitted) {
            Active& a = active[k];
            if (a.done || (a.leader >= 0) != followers) continue;
            if (followers) {
              const Active& l = active[static_cast<size_t>(a.leader)];
              std::unique_ptr<KvCache> copy;
              if (l.result.error.empty() && session.Length(l.seq) >= a.reused) copy = session.CloneCache(l.seq);
              // A sliding-window ring may have dropped what the shared beginning needs.
              if (copy && copy->CanTruncate(a.reused)) {
                copy->Truncate(a.reused);
                a.seq = session.Adopt(std::move(copy));
              } else {
                a.seq = session.Add();
                a.reused = 0;
                a.result.cached_tokens = 0;
              }
            }
            const GenerationJob& job = jobs[a.index];
            // The row after prompt token i - 1 gives token i's log-probability.
            const int64_t rows_from =
                job.prompt_logprobs_from < 0 ? -1 : std::max<int64_t>(job.prompt_logprobs_from, 1) - 1 - a.reused;
            steps.push_back({a.seq, std::span(job.prompt).subspan(a.reused), rows_from});
            owners.push_back(k);
          }
          if (steps.empty()) continue;
          const auto errors = session.Step(steps, [&](size_t s, size_t i, std::span<const float> logits) {
            Active& a = active[owners[s]];
            const GenerationJob& job = jobs[a.index];
            const size_t next = static_cast<size_t>(a.reused) + i + 1;
            if (next < job.prompt.size())
              a.result.prompt_logprobs.push_back(LogprobOf(logits, job.prompt[next], job.prompt_top_logprobs));
          });
          for (size_t s = 0; s < owners.size(); ++s) {
            Active& a = active[owners[s]];
            if (!errors[s].empty()) {
              a.result.finish_reason = "error";
              a.result.error = errors[s];
              a.result.prompt_logprobs.clear();
              a.done = true;
              continue;
            }
            if (jobs[a.index].max_tokens <= 0) {
              a.result.finish_reason = "length";
              a.done = true;
              continue;
            }
            sample(a);
          }
        }
        retire();
        continue;
      }

      // One batched decode step for every active sequence.
      std::vector<SeqTokens> steps;
      for (const auto& a : active) steps.push_back({a.seq, {&a.result.tokens.back(), 1}});
      const auto errors = session.Step(steps);
      for (size_t s = 0; s < active.size(); ++s) {
        Active& a = active[s];
        if (!errors[s].empty()) {
          a.result.finish_reason = "error";
          a.result.error = errors[s];
          a.done = true;
          continue;
        }
        sample(a);
      }
      retire();
    }
  });
}

}  // namespace bhasa::native
