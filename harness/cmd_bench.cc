// `bhasa bench`: prompt-processing and generation speed of the built-in
// engine on one model and device (median over repetitions), and peak memory.
// With --batch N, N sequences are prefilled together and then decoded
// together, the shape of an evaluation (llama-batched-bench's S_PP, S_TG, S).
// With --prompts N, N generation jobs go through the engine's scheduler
// (continuous batching, up to --batch at a time): an evaluation's run.
// --device cuda measures the device-resident forward pass (paged_step.h).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>
#include <tbb/task_arena.h>

#include "backends/native/cpu/simd_ops.h"
#include "backends/native/device.h"
#include "backends/native/engine.h"
#include "backends/native/llama_model.h"
#include "backends/native/paged_session.h"
#include "backends/native/sampler.h"
#include "backends/native/session.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "harness/command.h"
#include "harness/flags.h"

namespace bhasa {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double PeakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // Linux reports KiB
}

// The tokens of sequence b's prompt in repetition rep: distinct per
// sequence, so nothing is shared between them.
std::vector<int32_t> BenchPrompt(int prompt_len, int rep, int b, int64_t n_vocab) {
  std::vector<int32_t> p(prompt_len);
  for (int i = 0; i < prompt_len; ++i)
    p[i] = static_cast<int32_t>((i * 2654435761u + rep * 7919u + b * 104729u) % n_vocab);
  return p;
}

struct Phases {
  double pp_s = 0, tg_s = 0;
};

// One repetition on the CPU: Session over the kernel table.
Phases RunSession(const native::Model& model, const native::Kernels& kernels, native::KvType kv, int prompt_len,
                  int gen_len, int batch, int rep) {
  native::Session s(model, kernels, {.n_ctx = prompt_len + gen_len + 1, .kv_type = kv});
  std::vector<std::vector<int32_t>> prompts;
  std::vector<native::SeqTokens> steps;
  for (int b = 0; b < batch; ++b) {
    prompts.push_back(BenchPrompt(prompt_len, rep, b, model.hparams().n_vocab));
    steps.push_back({s.Add(), prompts.back()});
  }
  using Clock = std::chrono::steady_clock;
  Phases t;
  auto t0 = Clock::now();
  s.Step(steps);  // every prompt, stacked into forward calls of up to n_batch tokens
  t.pp_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<int32_t> next(batch);
  t0 = Clock::now();
  for (int g = 0; g < gen_len; ++g) {
    for (int b = 0; b < batch; ++b) {
      next[b] = native::Argmax(s.Logits(steps[b].seq));
      steps[b].tokens = {&next[b], 1};
    }
    s.Step(steps);
  }
  t.tg_s = std::chrono::duration<double>(Clock::now() - t0).count();
  return t;
}

// One repetition on a device-resident forward pass: greedy ids sampled on
// the device, the paged cache's blocks released after.
Phases RunPaged(native::PagedSession& s, int64_t n_vocab, int prompt_len, int gen_len, int batch, int rep) {
  std::vector<std::vector<int32_t>> prompts;
  std::vector<native::PagedSession::Entry> entries;
  for (int b = 0; b < batch; ++b) {
    prompts.push_back(BenchPrompt(prompt_len, rep, b, n_vocab));
    entries.push_back({s.Start(prompts.back()).first, prompts.back()});
  }
  native::RowOutput sample;
  sample.sample = true;  // greedy, on the device
  const std::vector<native::RowOutput> greedy(batch, sample);
  std::vector<int32_t> ids;
  std::vector<float> logits;
  using Clock = std::chrono::steady_clock;
  Phases t;
  auto t0 = Clock::now();
  s.Step(entries, greedy, ids, logits);
  t.pp_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<int32_t> next(batch);
  t0 = Clock::now();
  for (int g = 0; g < gen_len; ++g) {
    for (int b = 0; b < batch; ++b) {
      next[b] = ids[b];
      entries[b].tokens = {&next[b], 1};
    }
    s.Step(entries, greedy, ids, logits);
  }
  t.tg_s = std::chrono::duration<double>(Clock::now() - t0).count();
  for (const auto& e : entries) s.Release(e.seq);
  return t;
}

// --prompts: `prompts` jobs of prompt_len distinct tokens, gen_len greedy
// tokens each (no early stop), through Engine::Generate with max_batch
// `batch`: total tokens/s and wall time of the whole run, peak memory.
int EvalRun(const std::shared_ptr<const native::Model>& model, const std::string& device, const std::string& summary,
            int threads, int prompt_len, int gen_len, int batch, int prompts, int n_batch, native::KvType kv,
            double gpu_memory_fraction, bool json, double load_s) {
  native::Engine engine(model, {.threads = threads,
                                .n_ctx = prompt_len + gen_len + 1,
                                .kv_type = kv,
                                .max_batch = batch,
                                .n_batch = n_batch,
                                .device = device,
                                .prefix_cache_bytes = 0,
                                .gpu_memory_fraction = gpu_memory_fraction});
  std::vector<native::GenerationJob> jobs(prompts);
  for (int i = 0; i < prompts; ++i) {
    jobs[i].prompt = BenchPrompt(prompt_len, 0, i, model->hparams().n_vocab);
    jobs[i].max_tokens = gen_len;
    jobs[i].stop_at_eog = false;
  }
  int64_t generated = 0, errors = 0;
  const auto t0 = std::chrono::steady_clock::now();
  engine.Generate(jobs, [&](size_t, native::GenerationResult r) {
    generated += r.completion_tokens;
    errors += r.error.empty() ? 0 : 1;
  });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (errors > 0) throw Error("bench: " + std::to_string(errors) + " of " + std::to_string(prompts) + " jobs failed");
  const double total = (static_cast<double>(prompt_len) * prompts + static_cast<double>(generated)) / wall;
  const double peak_gpu_mib =
      engine.device_forward() ? static_cast<double>(engine.device_forward()->peak_bytes()) / (1 << 20) : 0.0;
  const double rss = PeakRssMiB();
  if (json) {
    nlohmann::json j = {{"model", model->file().path()}, {"quantization", model->quantization()},
                        {"n_params", model->n_params()},     {"device", device},
                        {"device_summary", summary},         {"prompts", prompts},
                        {"prompt_len", prompt_len},          {"gen_len", gen_len},
                        {"batch", batch},                    {"n_batch", n_batch},
                        {"generated_tokens", generated},     {"wall_seconds", wall},
                        {"total_tokens_per_s", total},       {"peak_gpu_mib", peak_gpu_mib},
                        {"peak_rss_mib", rss},               {"load_seconds", load_s}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("model %s (%s, %.2fB params), device %s\n", model->file().path().c_str(),
                model->quantization().c_str(), model->n_params() / 1e9, device == "cpu" ? "cpu" : summary.c_str());
    std::printf("%d prompts of %d tokens, %d generated each, up to %d at a time: %.2f s, %.2f tokens/s in all\n",
                prompts, prompt_len, gen_len, batch, wall, total);
    std::printf("peak RSS %.0f MiB%s\n", rss,
                peak_gpu_mib > 0 ? (", peak GPU memory " + std::to_string(static_cast<int>(peak_gpu_mib)) + " MiB").c_str()
                                 : "");
  }
  return kExitOk;
}

int Bench(std::span<const std::string> args) {
  std::string model_path, kv = "f32", device = "cpu";
  int prompt_len = 128, gen_len = 32, threads = 2, reps = 3, batch = 1, prompts = 0, n_batch = 512;
  double gpu_memory_fraction = 0.9;
  bool json = false;
  Flags f("bench", "--model FILE [options]",
          "Measures prompt processing (pp) and generation (tg) tokens/s of the built-in engine.");
  f.String("model", &model_path, "GGUF file or HF model directory", "FILE")
      .Int("prompt-len", &prompt_len, "prompt tokens per repetition")
      .Int("gen-len", &gen_len, "generated tokens per repetition")
      .Int("threads", &threads, "CPU threads")
      .String("device", &device, "cpu | cuda (weight matmuls on the GPU)", "NAME")
      .Int("reps", &reps, "repetitions; the median is reported")
      .Int("batch", &batch, "sequences, each with its own prompt, prefilled and decoded together")
      .Int("prompts", &prompts,
           "evaluation run instead: this many jobs through the engine's continuous batching, --batch at a time")
      .Int("n-batch", &n_batch, "most tokens of one forward call")
      .String("kv-type", &kv, "KV cache type: f32 or f16", "TYPE")
      .Double("gpu-memory-fraction", &gpu_memory_fraction,
              "--device cuda: share of the GPU's memory the model may take; a model over it is refused first")
      .Bool("json", &json, "JSON output");
  if (!f.Parse(args)) return kExitOk;
  if (model_path.empty()) throw Error("bench: --model is required", kExitUsage);
  if (prompt_len < 1 || gen_len < 0 || threads < 1 || reps < 1 || batch < 1 || prompts < 0 || n_batch < 1)
    throw Error("bench: lengths, threads, reps, batch, prompts and n-batch must be positive", kExitUsage);
  if (kv != "f32" && kv != "f16") throw Error("bench: --kv-type must be f32 or f16", kExitUsage);

  const native::Kernels& kernels = native::KernelsForDevice(device);
  const std::string device_summary = native::DeviceSummary(device);

  auto t_load = std::chrono::steady_clock::now();
  auto model = native::Model::Load(model_path);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count();
  native::CheckGpuFit(*model, {.device = device, .gpu_memory_fraction = gpu_memory_fraction});
  const auto& hp = model->hparams();
  const int64_t n_ctx = prompt_len + gen_len + 1;
  const native::KvType kv_type = kv == "f16" ? native::KvType::kF16 : native::KvType::kF32;
  if (prompts > 0) return EvalRun(model, device, device_summary, threads, prompt_len, gen_len, batch, prompts,
                                  n_batch, kv_type, gpu_memory_fraction, json, load_s);
  std::vector<double> pp, tg, total;
  // --device cuda: the device-resident forward pass (cpu: Session over the kernel table).
  auto device_forward = native::DeviceForwardFor(
      device, *model,
      {.gpu_memory_fraction = gpu_memory_fraction, .n_ctx = n_ctx, .n_batch = n_batch, .max_batch = batch});
  std::unique_ptr<native::PagedSession> paged;
  if (device_forward) paged = std::make_unique<native::PagedSession>(std::move(device_forward), n_batch);
  tbb::task_arena arena(threads);
  arena.execute([&] {
    for (int rep = 0; rep < reps; ++rep) {
      const Phases t = paged ? RunPaged(*paged, hp.n_vocab, prompt_len, gen_len, batch, rep)
                             : RunSession(*model, kernels, kv_type, prompt_len, gen_len, batch, rep);
      pp.push_back(static_cast<double>(prompt_len) * batch / t.pp_s);
      if (gen_len > 0) tg.push_back(static_cast<double>(gen_len) * batch / t.tg_s);
      total.push_back(static_cast<double>(prompt_len + gen_len) * batch / (t.pp_s + t.tg_s));
    }
  });
  const double peak_gpu_mib = paged ? static_cast<double>(paged->device().peak_bytes()) / (1 << 20) : 0.0;

  const double pp_med = Median(pp), tg_med = Median(tg), total_med = Median(total), rss = PeakRssMiB();
  if (json) {
    nlohmann::json j = {{"model", model_path},         {"quantization", model->quantization()},
                        {"n_params", model->n_params()}, {"threads", threads},
                        {"device", device},              {"device_summary", device_summary},
                        {"prompt_len", prompt_len},      {"gen_len", gen_len},
                        {"batch", batch},                {"reps", reps},
                        {"pp_tokens_per_s", pp_med},     {"tg_tokens_per_s", tg_med},
                        {"total_tokens_per_s", total_med},
                        {"peak_rss_mib", rss},           {"load_seconds", load_s},
                        {"peak_gpu_mib", peak_gpu_mib},
                        {"simd", native::simd::TargetName()}, {"vec_dot", native::VecDotTarget()}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("model %s (%s, %.2fB params), threads %d, simd %s, vec_dot %s\n", model_path.c_str(),
                model->quantization().c_str(), model->n_params() / 1e9, threads, native::simd::TargetName(),
                native::VecDotTarget());
    if (device != "cpu") std::printf("device %s: %s\n", device.c_str(), device_summary.c_str());
    std::printf("pp%-5d %10.2f tokens/s   (median of %d, batch %d)\n", prompt_len, pp_med, reps, batch);
    if (gen_len > 0) std::printf("tg%-5d %10.2f tokens/s   (median of %d, batch %d)\n", gen_len, tg_med, reps, batch);
    std::printf("total   %10.2f tokens/s   (prompt and generated tokens of all sequences over both phases)\n",
                total_med);
    std::printf("peak RSS %.0f MiB, load %.2f s\n", rss, load_s);
    if (paged) std::printf("peak GPU memory %.0f MiB\n", peak_gpu_mib);
  }
  return kExitOk;
}

const RegisterCommand kBench("bench", "measure the built-in engine's tokens/s and memory", Bench);

}  // namespace
}  // namespace bhasa
