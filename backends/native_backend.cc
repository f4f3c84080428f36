// The "native" backend (alias "builtin"): answers requests with the built-in
// engine, no server needed. Options (BackendOptions::values): "threads"
// (0 = all cores), "device" (cpu | cuda, see backends/native/device.h),
// "ctx" (0 = the model's training context), "chat_template"
// (name override; default: detected from the model), "kv_type" (f32 | f16),
// "concurrency" (sequences decoded together).
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/native/chat_template.h"
#include "backends/native/device.h"
#include "backends/native/engine.h"
#include "backends/native/llama_model.h"
#include "backends/native_logprobs.h"
#include "common/error.h"

namespace bhasa {
namespace {

int IntOption(const BackendOptions& o, const std::string& key, int fallback) {
  const std::string v = o.Get(key);
  if (v.empty()) return fallback;
  try {
    size_t used = 0;
    const int n = std::stoi(v, &used);
    if (used != v.size()) throw std::invalid_argument(v);
    return n;
  } catch (const std::exception&) {
    throw Error("native backend: option " + key + " must be an integer, got '" + v + "'");
  }
}

double DoubleOption(const BackendOptions& o, const std::string& key, double fallback) {
  const std::string v = o.Get(key);
  if (v.empty()) return fallback;
  try {
    size_t used = 0;
    const double d = std::stod(v, &used);
    if (used != v.size()) throw std::invalid_argument(v);
    return d;
  } catch (const std::exception&) {
    throw Error("native backend: option " + key + " must be a number, got '" + v + "'");
  }
}

class NativeBackend : public Backend {
 public:
  explicit NativeBackend(const BackendOptions& o) : path_(o.model) {
    if (path_.empty()) throw Error("native backend: --model PATH (a GGUF file or HF directory) is required");
    auto model = native::Model::Load(path_);
    native::EngineOptions eo;
    eo.threads = IntOption(o, "threads", 0);
    eo.device = o.Get("device").empty() ? "cpu" : o.Get("device");
    device_summary_ = native::DeviceSummary(eo.device);
    eo.n_ctx = IntOption(o, "ctx", 0);
    eo.max_batch = std::max(1, IntOption(o, "concurrency", 16));
    eo.prefix_cache_bytes = static_cast<size_t>(std::max(0, IntOption(o, "prefix_cache_mb", 1024))) << 20;
    eo.gpu_memory_fraction = DoubleOption(o, "gpu_memory_fraction", 0.9);
    const std::string kv = o.Get("kv_type", "f32");
    if (kv != "f32" && kv != "f16") throw Error("native backend: kv_type must be f32 or f16, got '" + kv + "'");
    eo.kv_type = kv == "f16" ? native::KvType::kF16 : native::KvType::kF32;
    engine_ = std::make_unique<native::Engine>(std::move(model), eo);
    template_ = native::ChatTemplate::Resolve(o.Get("chat_template"), engine_->vocab().chat_template());
  }

  std::string name() const override { return "native"; }

  BackendCapabilities capabilities() const override {
    BackendCapabilities c;
    c.max_context = static_cast<int>(engine_->n_ctx());
    c.logprobs = true;
    return c;
  }

  // The model's sha256 is added by the harness (harness/provenance.h), which
  // caches it in the run directory.
  nlohmann::json Describe() const override {
    const auto& m = engine_->model();
    return {{"backend", "native"},
            {"engine", "bhasa-native " + std::string(engine_->kernels().name)},
            {"device", device_summary_},
            {"model_file", path_},
            {"format", m.file().format()},
            {"quantization", m.quantization()},
            {"n_params", m.n_params()},
            {"n_ctx", engine_->n_ctx()},
            {"threads", engine_->threads()},
            {"chat_template", template_.name}};
  }

  void Generate(std::span<const Request> requests, const OnResponse& on_response) override {
    GenerateStreaming(requests, nullptr, on_response);
  }

  // Tokens reach on_text from the engine's decode loop as they are accepted.
  void GenerateStreaming(std::span<const Request> requests, const OnText& on_text,
                         const OnResponse& on_response) override {
    std::vector<native::GenerationJob> jobs;
    std::vector<size_t> job_request;  // job index -> request index
    for (size_t i = 0; i < requests.size(); ++i) {
      const Request& r = requests[i];
      native::GenerationJob job;
      try {
        job.prompt = Tokenize(r);
      } catch (const std::exception& e) {
        Response resp;
        resp.request_id = r.id;
        resp.status = ResponseStatus::kFailed;
        resp.finish_reason = "error";
        resp.error = e.what();
        on_response(std::move(resp));
        continue;
      }
      const GenerationParams& p = r.params;
      job.max_tokens = p.max_tokens;
      job.sampler.temperature = static_cast<float>(p.temperature.value_or(0.0));
      job.sampler.top_p = static_cast<float>(p.top_p.value_or(1.0));
      job.sampler.top_k = p.top_k.value_or(0);
      job.sampler.seed = p.seed;
      job.stop = p.stop;
      job.include_stop = p.include_stop_str_in_output;
      job.cancelled = r.cancelled;
      job.refuse_beyond_context = r.refuse_beyond_context;
      job.logprobs = p.WantsTokenLogprobs();
      job.top_logprobs = p.logprobs;
      if (p.prompt_logprobs >= 0) job.prompt_logprobs_from = 1, job.prompt_top_logprobs = p.prompt_logprobs;
      if (on_text) job.on_text = [&on_text, &id = r.id](std::string_view piece) { on_text(id, piece); };
      jobs.push_back(std::move(job));
      job_request.push_back(i);
    }
    engine_->Generate(jobs, [&](size_t j, native::GenerationResult g) {
      const GenerationParams& p = requests[job_request[j]].params;
      Response resp;
      resp.request_id = requests[job_request[j]].id;
      if (g.error.empty())
        resp.logprobs = native::LogprobsJson(engine_->vocab(), jobs[j].prompt, g, p.WantsTokenLogprobs(),
                                             p.prompt_logprobs >= 0);
      resp.text = std::move(g.text);
      resp.finish_reason = g.finish_reason;
      resp.prompt_tokens = g.prompt_tokens;
      resp.completion_tokens = g.completion_tokens;
      resp.seconds = g.seconds;
      if (!g.error.empty()) {
        resp.status = ResponseStatus::kFailed;
        resp.error = g.error;
      }
      on_response(std::move(resp));
    });
  }

 private:
  // Chat messages go through the chat template (whose text carries BOS);
  // a raw prompt gets the model's BOS. Special-token text is parsed in both.
  std::vector<int32_t> Tokenize(const Request& r) const {
    const native::Vocab& v = engine_->vocab();
    if (r.prompt) return v.Tokenize(*r.prompt, /*add_special=*/true, /*parse_special=*/true);
    if (r.messages.empty()) throw Error("request " + r.id + " has neither messages nor prompt");
    const std::string text = native::RenderChat(template_, r.messages, !r.continue_final_message,
                                                r.continue_final_message, v.add_bos() ? v.BosText() : "");
    return v.Tokenize(text, /*add_special=*/false, /*parse_special=*/true);
  }

  std::string path_;
  std::string device_summary_;
  std::unique_ptr<native::Engine> engine_;
  native::ChatTemplate template_;
};

std::unique_ptr<Backend> MakeNative(const BackendOptions& o) { return std::make_unique<NativeBackend>(o); }

const RegisterBackend kNative("native", MakeNative);
const RegisterBackend kBuiltin("builtin", MakeNative);

}  // namespace
}  // namespace bhasa
