// The engine's scheduler for a device-resident forward pass (--device cuda):
// continuous batching over a paged KV cache. Between steps, queued jobs join
// while the batch has room and the cache has blocks for their whole length
// (prompt + max_tokens), so a running sequence never runs out; finished ones
// leave and their full blocks stay indexed, so a later prompt with the same
// beginning (a task's five-shot examples) maps the same blocks instead of
// evaluating them again. A job whose prompt shares more than a block with one
// admitted in the same round waits one round, to find that one's blocks.
//
// Sampling happens on the device (ids come back), except for jobs that ask
// for log-probabilities: their logits rows come back and the job's own
// Sampler picks, as on the CPU.
#include <algorithm>
#include <chrono>
#include <deque>

#include "backends/native/engine.h"
#include "backends/native/job_text.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

using Clock = std::chrono::steady_clock;

struct Running {
  size_t index;
  PagedSession::SeqId seq;
  Sampler sampler;
  GenerationResult result;
  int64_t reused = 0;      // prompt positions mapped from indexed blocks
  int64_t final_len = 0;   // positions the sequence may reach
  JobTextState text;
  bool done = false;
  Clock::time_point start;
};

int64_t SharedPrefix(std::span<const int32_t> a, std::span<const int32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  size_t len = 0;
  while (len < n && a[len] == b[len]) ++len;
  return static_cast<int64_t>(len);
}

int64_t BlocksFor(int64_t positions, int64_t block_tokens) { return (positions + block_tokens - 1) / block_tokens; }

// Whether the job's tokens come back as logits for the host to sample.
bool HostSamples(const GenerationJob& job) { return job.logprobs; }

}  // namespace

std::vector<float> Engine::PromptLogitsPaged(std::span<const int32_t> tokens) {
  if (tokens.empty()) throw Error("prompt logits: empty prompt");
  if (static_cast<int64_t>(tokens.size()) > n_ctx())
    throw Error("prompt of " + std::to_string(tokens.size()) + " tokens does not fit the context of " +
                std::to_string(n_ctx()) + " tokens");
  PagedSession& s = *paged_;
  auto [seq, reused] = s.Start(tokens);
  std::vector<float> logits;
  try {
    const PagedSession::Entry entry{seq, tokens.subspan(static_cast<size_t>(reused))};
    RowOutput out;
    out.logits = true;
    std::vector<int32_t> ids;
    s.Step({&entry, 1}, {&out, 1}, ids, logits);
  } catch (...) {
    s.Release(seq);
    throw;
  }
  s.Release(seq);
  return logits;
}

void Engine::GeneratePaged(std::span<const GenerationJob> jobs,
                           const std::function<void(size_t, GenerationResult)>& on_done) {
  PagedSession& s = *paged_;
  const int64_t ctx = n_ctx(), bt = s.block_tokens(), nv = model_->hparams().n_vocab;
  std::deque<size_t> queue;
  for (size_t i = 0; i < jobs.size(); ++i) queue.push_back(i);
  std::vector<Running> active;

  auto finish = [&](size_t index, GenerationResult r, const std::string& reason, const std::string& error) {
    r.finish_reason = reason;
    r.error = error;
    on_done(index, std::move(r));
  };
  // Blocks the running sequences may still take (one more each for a copy on write).
  auto committed = [&] {
    int64_t n = 0;
    for (const Running& a : active) n += BlocksFor(a.final_len, bt) - BlocksFor(s.Length(a.seq), bt) + 1;
    return n;
  };
  auto accept = [&](Running& a, int32_t token) {
    a.done = AcceptToken(jobs[a.index], *vocab_, token, s.Length(a.seq) + 1 > ctx, a.result, a.text);
    StreamText(jobs[a.index], a.result.text, a.done, a.text);
  };
  // The step's output rows of a running job: prompt log-prob rows, then the row it samples from.
  // A row sampled on the device takes its draw from the job's Sampler, as Sample would.
  auto outputs_of = [&](Running& a, int64_t n_rows, bool prompt, std::vector<RowOutput>& out) {
    const GenerationJob& job = jobs[a.index];
    for (int64_t r = 0; r < n_rows; ++r) {
      const bool last = r + 1 == n_rows;
      RowOutput o;
      o.logits = (prompt && !last) || (last && HostSamples(job));
      o.sample = last && job.max_tokens > 0 && !HostSamples(job);
      o.cut = {job.sampler.temperature, job.sampler.top_k, job.sampler.top_p};
      if (o.sample && o.cut.temperature > 0.0f) o.u = a.sampler.Draw();
      out.push_back(o);
    }
  };
  // Reads one job's rows of a step: prompt log-probs, then its next token.
  auto take = [&](Running& a, std::span<const RowOutput> outs, std::span<const int32_t> ids, const float*& logits,
                  bool prompt, int64_t first_row) {
    const GenerationJob& job = jobs[a.index];
    for (size_t r = 0; r < outs.size(); ++r) {
      const bool last = r + 1 == outs.size();
      std::span<const float> row;
      if (outs[r].logits) {
        row = {logits, static_cast<size_t>(nv)};
        logits += nv;
      }
      if (prompt && job.prompt_logprobs_from >= 0) {
        const size_t next = static_cast<size_t>(a.reused + first_row) + r + 1;
        if (next < job.prompt.size())
          a.result.prompt_logprobs.push_back(LogprobOf(row, job.prompt[next], job.prompt_top_logprobs));
      }
      if (!last || a.done) continue;
      if (job.max_tokens <= 0) {
        a.result.finish_reason = "length";
        a.done = true;
        continue;
      }
      const int32_t token = HostSamples(job) ? a.sampler.Sample(row) : ids[r];
      if (job.logprobs) a.result.logprobs.push_back(LogprobOf(row, token, job.top_logprobs));
      accept(a, token);
    }
  };
  auto retire = [&] {
    for (Running& a : active)
      if (a.done) {
        a.result.seconds = std::chrono::duration<double>(Clock::now() - a.start).count();
        s.Release(a.seq);
        on_done(a.index, std::move(a.result));
      }
    std::erase_if(active, [](const Running& a) { return a.done; });
  };
  // Runs one step over `entries` of `owners`; a failed step fails them all.
  auto step = [&](std::vector<PagedSession::Entry>& entries, const std::vector<size_t>& owners, bool prompt,
                  const std::vector<int64_t>& first_rows) {
    std::vector<RowOutput> outs;
    std::vector<size_t> counts;
    for (size_t k = 0; k < owners.size(); ++k) {
      const size_t before = outs.size();
      outputs_of(active[owners[k]], OutputRows(static_cast<int64_t>(entries[k].tokens.size()), entries[k].rows_from),
                 prompt, outs);
      counts.push_back(outs.size() - before);
    }
    std::vector<int32_t> ids;
    std::vector<float> logits;
    try {
      s.Step(entries, outs, ids, logits);
    } catch (const Error& e) {
      for (size_t k : owners) {
        Running& a = active[k];
        a.result.finish_reason = "error";
        a.result.error = e.what();
        a.result.prompt_logprobs.clear();
        a.done = true;
      }
      return;
    }
    const float* row = logits.data();
    size_t at = 0;
    for (size_t k = 0; k < owners.size(); ++k) {
      take(active[owners[k]], std::span(outs).subspan(at, counts[k]), std::span(ids).subspan(at, counts[k]), row,
           prompt, first_rows[k]);
      at += counts[k];
    }
  };

  while (!queue.empty() || !active.empty()) {
    // Admit queued jobs into the batch while it and the cache have room.
    std::vector<size_t> admitted;
    while (!queue.empty() && active.size() < static_cast<size_t>(options_.max_batch)) {
      const size_t i = queue.front();
      const GenerationJob& job = jobs[i];
      const int n_prompt = static_cast<int>(job.prompt.size());
      GenerationResult r;
      r.prompt_tokens = n_prompt;
      if (Cancelled(job)) {
        queue.pop_front();
        finish(i, std::move(r), "abort", "");
        continue;
      }
      std::string bad;
      if (job.prompt.empty()) bad = "empty prompt";
      else if (n_prompt >= ctx)
        bad = "prompt of " + std::to_string(n_prompt) + " tokens does not fit the context of " + std::to_string(ctx) +
              " tokens";
      else if (job.refuse_beyond_context && job.max_tokens > 0 && n_prompt + static_cast<int64_t>(job.max_tokens) > ctx)
        bad = "prompt of " + std::to_string(n_prompt) + " tokens plus max_tokens " + std::to_string(job.max_tokens) +
              " does not fit the context of " + std::to_string(ctx) + " tokens";
      else
        for (int32_t t : job.prompt)
          if (t < 0 || t >= nv) {
            bad = "token id " + std::to_string(t) + " outside the vocabulary [0, " + std::to_string(nv) + ")";
            break;
          }
      if (!bad.empty()) {
        queue.pop_front();
        finish(i, std::move(r), "error", bad);
        continue;
      }
      const bool prompt_logprobs = job.prompt_logprobs_from >= 0;
      const auto reusable = std::span(job.prompt).first(
          prompt_logprobs ? std::min<size_t>(job.prompt.size(), static_cast<size_t>(std::max(job.prompt_logprobs_from, 1)))
                          : job.prompt.size());
      auto [seq, reused] = s.Start(reusable);
      bool wait = false;
      for (size_t k : admitted)
        if (SharedPrefix(jobs[active[k].index].prompt, reusable) >= reused + bt) wait = true;
      const int64_t final_len = std::min<int64_t>(ctx, n_prompt + std::max(job.max_tokens, 0));
      const int64_t need = BlocksFor(final_len, bt) - reused / bt + 1;
      if (wait || need + committed() > s.FreeBlocks()) {
        s.Release(seq);
        if (active.empty() && !wait) {  // alone, it can never fit
          queue.pop_front();
          finish(i, std::move(r), "error",
                 "prompt of " + std::to_string(n_prompt) + " tokens plus max_tokens " + std::to_string(job.max_tokens) +
                     " does not fit the device's KV cache of " + std::to_string(int64_t{s.device().n_blocks()} * bt) +
                     " positions");
          continue;
        }
        break;
      }
      queue.pop_front();
      Running a{i, seq, Sampler(job.sampler), {}, reused, final_len, {}, false, Clock::now()};
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
      // Prefill the newcomers together (split into calls of n_batch tokens).
      std::vector<PagedSession::Entry> entries;
      std::vector<size_t> owners;
      std::vector<int64_t> first_rows;
      for (size_t k : admitted) {
        const Running& a = active[k];
        if (a.done) continue;
        const GenerationJob& job = jobs[a.index];
        const auto rest = std::span(job.prompt).subspan(static_cast<size_t>(a.reused));
        // The row after prompt token i - 1 gives token i's log-probability.
        // The last row is always wanted: the job samples from it.
        const int64_t rows_from =
            job.prompt_logprobs_from < 0
                ? -1
                : std::min<int64_t>(std::max<int64_t>(job.prompt_logprobs_from, 1) - 1 - a.reused,
                                    static_cast<int64_t>(rest.size()) - 1);
        entries.push_back({a.seq, rest, rows_from});
        owners.push_back(k);
        first_rows.push_back(rows_from < 0 ? static_cast<int64_t>(rest.size()) - 1 : rows_from);
      }
      if (!entries.empty()) step(entries, owners, true, first_rows);
      retire();
      continue;
    }

    // One decode step for every running sequence.
    std::vector<PagedSession::Entry> entries;
    std::vector<size_t> owners;
    for (size_t k = 0; k < active.size(); ++k) {
      entries.push_back({active[k].seq, {&active[k].result.tokens.back(), 1}});
      owners.push_back(k);
    }
    step(entries, owners, false, std::vector<int64_t>(owners.size(), 0));
    retire();
  }
}

}  // namespace bhasa::native
