#include "harness/run_options.h"
#include <cstdlib>

#include "common/error.h"
#include "common/exit_codes.h"
#include "common/json_field.h"
#include "harness/plan.h"
#include "results/run_dir.h"

namespace bhasa {

void DeclareRunFlags(Flags& f, RunOptions& o) {
  f.String("model", &o.model, "model: GGUF file or Hugging Face directory (native), model name (openai)", "PATH")
      .String("model-name", &o.model_name, "name for the run folder and results (default: basename of --model without .gguf)", "NAME")
      .String("backend", &o.backend, "native | openai | replay (default: replay with --replay, openai with --url, else native)", "NAME")
      .List("tasks", &o.tasks, "tasks or aggregation groups to run (default: all)", "T1,T2")
      .List("languages", &o.languages, "languages to run (default: every language of the tasks)", "id,vi")
      .String("suite", &o.suite, "a task set from the tasks dir's task_config.yaml (e.g. seahelm)", "NAME")
      .String("tasks-dir", &o.tasks_dir, "task definitions: our tasks/*.yaml or SEA-HELM's seahelm_tasks folder", "DIR")
      .String("data-dir", &o.data_dir, "datasets: DIR/<task>/<lang>/{test,examples}.jsonl, a dataset download or a Hugging Face hub cache (default: bundled samples)", "DIR")
      .String("data-revision", &o.data_revision, "hub cache snapshot to read: a commit or ref (default: refs/main)", "REV")
      .String("output", &o.output, "output root; the run goes to <output>/<model>/run_<n>/", "DIR")
      .Int64("seed", &o.seed, "sampling seed passed to the backend")
      .Int("run", &o.run, "run number (folder run_<n>)")
      .Int("limit", &o.limit, "evaluate only the first N rows of each task (0 = all)")
      .String("model-kind", &o.model_kind, "instruct (zero-shot) or base (five-shot, two-phase decoding)", "KIND")
      .OptionalDouble("temperature", &o.temperature,
                      "sampling temperature (default: generation_config.json, else 0 = greedy)")
      .OptionalDouble("top-p", &o.top_p, "nucleus sampling cut (default: generation_config.json, else 1 = none)")
      .OptionalInt("top-k", &o.top_k, "top-k sampling cut (default: generation_config.json, else 0 = none)")
      .OptionalInt("max-tokens", &o.max_tokens, "generated tokens per request, for every task (default: the task's)")
      .String("gen-kwargs", &o.gen_kwargs,
              "decoding settings, e.g. temperature=0,top_p=1,max_tokens=64,seed=7 (keys: temperature, top_p, "
              "top_k, max_tokens, seed); the flags win over them",
              "K=V,...")
      .String("replay", &o.replay, "replay backend: answers file(s) or directories, comma separated", "FILE")
      .String("url", &o.url, "openai backend: base URL(s), comma separated for round-robin", "URL")
      .String("api-key-env", &o.api_key_env, "openai backend: environment variable holding the API key", "VAR")
      .Int("concurrency", &o.concurrency, "requests in flight (openai) or sequences decoded together (native)")
      .Double("timeout", &o.timeout, "openai backend: request timeout in seconds")
      .Int("max-retries", &o.max_retries, "openai backend: retries on connect errors, timeouts, 429, 5xx")
      .String("prompt-logprobs", &o.prompt_logprobs,
              "openai backend, log-likelihood tasks: vllm (the prompt_logprobs field) | echo (OpenAI-style "
              "completions: echo + logprobs; needs --model-kind base or --chat-template base)",
              "API")
      .String("chat-template", &o.chat_template, "native backend: chat template name override", "NAME")
      .Int("threads", &o.threads, "native backend: CPU threads (0 = all cores)")
      .String("device", &o.device, "native backend: cpu | cuda (weight matmuls on the GPU)", "NAME")
      .Int("ctx", &o.ctx, "native backend: context length (0 = the model's)")
      .Int("prefix-cache-mb", &o.prefix_cache_mb,
           "native backend: KV cache memory kept so prompts sharing a beginning skip it (0 = off)")
      .Double("gpu-memory-fraction", &o.gpu_memory_fraction,
              "native backend, --device cuda: share of the GPU's memory the model may take; a model over it "
              "is refused before any work")
      .String("judge-backend", &o.judge_backend, "MT-Bench judge backend: openai | native | replay", "NAME")
      .String("judge-url", &o.judge_url, "judge base URL (openai judge)", "URL")
      .String("judge-model", &o.judge_model, "judge model name or file", "NAME")
      .String("judge-api-key-env", &o.judge_api_key_env, "environment variable holding the judge's API key", "VAR")
      .String("thai-dict", &o.thai_dict, "word list for newmm-compatible Thai segmentation (QA F1, ROUGE-L)", "FILE")
      .String("langid-model", &o.langid_model, "fastText lid.176 model for IFEval language checks (default: CLD2)", "FILE")
      .Bool("strip-think", &o.strip_think, "drop text through the last </think> before scoring")
      .Bool("reasoning", &o.reasoning, "reasoning model: max_tokens + 20000 and no max_n_runs cap, as SEA-HELM does");
}

void FinalizeRunOptions(RunOptions& o) {
  if (o.model_kind != "instruct" && o.model_kind != "base")
    throw Error("--model-kind must be 'instruct' or 'base', got '" + o.model_kind + "'", kExitUsage);
  if (o.backend.empty()) o.backend = !o.replay.empty() ? "replay" : !o.url.empty() ? "openai" : "native";
  if (o.backend == "builtin") o.backend = "native";
  if (o.tasks_dir.empty()) o.tasks_dir = DefaultTasksDir();
  if (o.data_dir.empty()) o.data_dir = DefaultDataDir();
  if (o.model_name.empty()) {
    if (!o.model.empty()) o.model_name = results::RunFolderName(o.model);
    else if (o.backend == "replay") o.model_name = "replay";
    else throw Error("--model is required for the " + o.backend + " backend", kExitUsage);
  }
  if (o.backend == "native" && o.model.empty()) throw Error("--model is required for the native backend", kExitUsage);
  if (o.backend == "openai" && o.url.empty()) throw Error("--url is required for the openai backend", kExitUsage);
  if (o.backend == "replay" && o.replay.empty()) throw Error("--replay FILE is required for the replay backend", kExitUsage);
}

namespace {

template <typename T>
nlohmann::json OptionalJson(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

}  // namespace

nlohmann::json RunOptionsToJson(const RunOptions& o) {
  return {{"model", o.model}, {"model_name", o.model_name}, {"backend", o.backend}, {"tasks", o.tasks},
          {"languages", o.languages}, {"suite", o.suite}, {"tasks_dir", o.tasks_dir}, {"data_dir", o.data_dir},
          {"data_revision", o.data_revision}, {"output", o.output}, {"seed", o.seed}, {"run", o.run}, {"limit", o.limit}, {"model_kind", o.model_kind},
          {"temperature", OptionalJson(o.temperature)}, {"top_p", OptionalJson(o.top_p)},
          {"top_k", OptionalJson(o.top_k)}, {"max_tokens", OptionalJson(o.max_tokens)}, {"gen_kwargs", o.gen_kwargs},
          {"replay", o.replay}, {"url", o.url}, {"api_key_env", o.api_key_env}, {"concurrency", o.concurrency},
          {"timeout", o.timeout}, {"max_retries", o.max_retries}, {"prompt_logprobs", o.prompt_logprobs},
          {"chat_template", o.chat_template},
          {"threads", o.threads}, {"device", o.device}, {"ctx", o.ctx}, {"prefix_cache_mb", o.prefix_cache_mb},
          {"gpu_memory_fraction", o.gpu_memory_fraction}, {"judge_backend", o.judge_backend},
          {"judge_url", o.judge_url}, {"judge_model", o.judge_model}, {"judge_api_key_env", o.judge_api_key_env},
          {"thai_dict", o.thai_dict}, {"langid_model", o.langid_model}, {"strip_think", o.strip_think},
          {"reasoning", o.reasoning}};
}

RunOptions RunOptionsFromJson(const nlohmann::json& j, const std::string& where) {
  RunOptions o;
  if (!j.is_object()) throw Error(where + ": field 'options' must be an object");
  const std::string in_options = where + ": options";
  auto get = [&](const char* k, auto& dst) {
    using T = std::remove_reference_t<decltype(dst)>;
    const nlohmann::json* v = FindField(j, k);
    if (!v) return;
    if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      if (!v->is_array()) throw FieldTypeError(in_options, k, "a list of strings");
      dst.clear();
      for (const auto& item : *v) dst.push_back(FieldAs<std::string>(item, k, in_options));
    } else {
      dst = FieldAs<T>(*v, k, in_options);
    }
  };
  get("model", o.model); get("model_name", o.model_name); get("backend", o.backend); get("tasks", o.tasks);
  get("languages", o.languages); get("suite", o.suite); get("tasks_dir", o.tasks_dir); get("data_dir", o.data_dir);
  get("data_revision", o.data_revision); get("output", o.output); get("seed", o.seed); get("run", o.run); get("limit", o.limit);
  get("model_kind", o.model_kind);
  auto get_optional = [&](const char* k, auto& dst) {
    if (const nlohmann::json* v = FindField(j, k))
      dst = FieldAs<typename std::remove_reference_t<decltype(dst)>::value_type>(*v, k, in_options);
  };
  get_optional("temperature", o.temperature); get_optional("top_p", o.top_p); get_optional("top_k", o.top_k);
  get_optional("max_tokens", o.max_tokens);
  get("gen_kwargs", o.gen_kwargs); get("replay", o.replay); get("url", o.url); get("api_key_env", o.api_key_env);
  get("concurrency", o.concurrency); get("timeout", o.timeout); get("max_retries", o.max_retries);
  get("prompt_logprobs", o.prompt_logprobs);
  get("chat_template", o.chat_template); get("threads", o.threads); get("device", o.device);
  get("ctx", o.ctx); get("prefix_cache_mb", o.prefix_cache_mb); get("gpu_memory_fraction", o.gpu_memory_fraction);
  get("judge_backend", o.judge_backend); get("judge_url", o.judge_url); get("judge_model", o.judge_model);
  get("judge_api_key_env", o.judge_api_key_env); get("thai_dict", o.thai_dict); get("langid_model", o.langid_model);
  get("strip_think", o.strip_think); get("reasoning", o.reasoning);
  return o;
}

tasks::TaskContext MakeTaskContext(const RunOptions& o) {
  tasks::TaskContext ctx;
  ctx.kind = o.model_kind == "base" ? tasks::ModelKind::kBase : tasks::ModelKind::kInstruct;
  ctx.seed = static_cast<uint64_t>(o.seed);
  ctx.limit = o.limit;
  ctx.data_dir = o.data_dir;
  ctx.data_revision = o.data_revision;
  ctx.strip_think = o.strip_think;
  ctx.max_tokens_bonus = o.reasoning ? 20000 : 0;
  ctx.max_tokens = o.max_tokens;
  ctx.temperature = o.temperature;
  ctx.top_p = o.top_p;
  ctx.top_k = o.top_k;
  if (!o.thai_dict.empty()) ctx.scorer_options["thai_dict"] = o.thai_dict;
  if (!o.langid_model.empty()) ctx.scorer_options["langid_model"] = o.langid_model;
  return ctx;
}

BackendOptions MakeBackendOptions(const RunOptions& o) {
  BackendOptions b;
  b.model = o.model;
  b.values = {{"file", o.replay},
              {"url", o.url},
              {"api_key_env", o.api_key_env},
              {"concurrency", std::to_string(o.concurrency)},
              {"timeout", std::to_string(o.timeout)},
              {"max_retries", std::to_string(o.max_retries)},
              {"prompt_logprobs", o.prompt_logprobs},
              {"threads", std::to_string(o.threads)},
              {"device", o.device},
              {"ctx", std::to_string(o.ctx)},
              {"prefix_cache_mb", std::to_string(o.prefix_cache_mb)},
              {"gpu_memory_fraction", std::to_string(o.gpu_memory_fraction)},
              {"model_kind", o.model_kind}};
  // Base models use SEA-HELM's base template unless told otherwise (SPEC 5.2).
  std::string tmpl = o.chat_template.empty() && o.model_kind == "base" ? "seahelm-base" : o.chat_template;
  if (!tmpl.empty()) b.values["chat_template"] = tmpl;
  if (const char* d = std::getenv("BHASA_REPLAY_DELAY_MS")) b.values["delay_ms"] = d;
  return b;
}

BackendOptions MakeJudgeOptions(const RunOptions& o) {
  BackendOptions b;
  b.model = o.judge_model;
  b.values = {{"url", o.judge_url},         {"api_key_env", o.judge_api_key_env},
              {"concurrency", std::to_string(o.concurrency)}, {"timeout", std::to_string(o.timeout)},
              {"max_retries", std::to_string(o.max_retries)}, {"file", o.judge_backend == "replay" ? o.replay : ""},
              {"threads", std::to_string(o.threads)}, {"device", o.device},
              {"prefix_cache_mb", std::to_string(o.prefix_cache_mb)},
              {"gpu_memory_fraction", std::to_string(o.gpu_memory_fraction)}};
  return b;
}

}  // namespace bhasa
