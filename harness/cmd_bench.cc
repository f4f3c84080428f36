// `bhasa bench`: prompt-processing and generation speed of the built-in
// engine on one model and device (median over repetitions), and peak memory.
// With --batch N, N sequences are prefilled together and then decoded
// together, the shape of an evaluation (llama-batched-bench's S_PP, S_TG, S).
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

int Bench(std::span<const std::string> args) {
  std::string model_path, kv = "f32", device = "cpu";
  int prompt_len = 128, gen_len = 32, threads = 2, reps = 3, batch = 1;
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
      .String("kv-type", &kv, "KV cache type: f32 or f16", "TYPE")
      .Double("gpu-memory-fraction", &gpu_memory_fraction,
              "--device cuda: share of the GPU's memory the model may take; a model over it is refused first")
      .Bool("json", &json, "JSON output");
  if (!f.Parse(args)) return kExitOk;
  if (model_path.empty()) throw Error("bench: --model is required", kExitUsage);
  if (prompt_len < 1 || gen_len < 0 || threads < 1 || reps < 1 || batch < 1)
    throw Error("bench: lengths, threads, reps and batch must be positive", kExitUsage);
  if (kv != "f32" && kv != "f16") throw Error("bench: --kv-type must be f32 or f16", kExitUsage);

  const native::Kernels& kernels = native::KernelsForDevice(device);
  const std::string device_summary = native::DeviceSummary(device);

  auto t_load = std::chrono::steady_clock::now();
  auto model = native::Model::Load(model_path);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_load).count();
  native::CheckGpuFit(*model, {.device = device, .gpu_memory_fraction = gpu_memory_fraction});
  const auto& hp = model->hparams();
  const int64_t n_ctx = prompt_len + gen_len + 1;
  std::vector<double> pp, tg, total;
  tbb::task_arena arena(threads);
  arena.execute([&] {
    for (int rep = 0; rep < reps; ++rep) {
      native::Session s(*model, kernels,
                        {.n_ctx = n_ctx, .kv_type = kv == "f16" ? native::KvType::kF16 : native::KvType::kF32});
      // Each sequence has its own prompt, so nothing is shared between them.
      std::vector<std::vector<int32_t>> prompts(batch, std::vector<int32_t>(prompt_len));
      std::vector<native::SeqTokens> steps;
      for (int b = 0; b < batch; ++b) {
        for (int i = 0; i < prompt_len; ++i)
          prompts[b][i] = static_cast<int32_t>((i * 2654435761u + rep * 7919u + b * 104729u) % hp.n_vocab);
        steps.push_back({s.Add(), prompts[b]});
      }
      using Clock = std::chrono::steady_clock;
      auto t0 = Clock::now();
      s.Step(steps);  // every prompt, stacked into forward calls of up to n_batch tokens
      const double pp_s = std::chrono::duration<double>(Clock::now() - t0).count();
      pp.push_back(static_cast<double>(prompt_len) * batch / pp_s);
      std::vector<int32_t> next(batch);
      t0 = Clock::now();
      for (int g = 0; g < gen_len; ++g) {
        for (int b = 0; b < batch; ++b) {
          next[b] = native::Argmax(s.Logits(steps[b].seq));
          steps[b].tokens = {&next[b], 1};
        }
        s.Step(steps);
      }
      const double tg_s = std::chrono::duration<double>(Clock::now() - t0).count();
      if (gen_len > 0) tg.push_back(static_cast<double>(gen_len) * batch / tg_s);
      total.push_back(static_cast<double>(prompt_len + gen_len) * batch / (pp_s + tg_s));
    }
  });

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
  }
  return kExitOk;
}

const RegisterCommand kBench("bench", "measure the built-in engine's tokens/s and memory", Bench);

}  // namespace
}  // namespace bhasa
