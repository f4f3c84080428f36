// `bhasa serve`: the built-in engine behind an OpenAI-compatible API.
#include <cstdio>
#include <cstdlib>

#include "backends/backend.h"
#include "backends/openai_server.h"
#include "backends/serve_auth.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "harness/command.h"
#include "harness/flags.h"
#include "results/run_dir.h"

namespace bhasa {
namespace {

int ServeCommand(std::span<const std::string> args) {
  std::string model, host = "127.0.0.1", name, chat_template, device = "cpu";
  int port = 8080, threads = 0, ctx = 0, max_batch = 16;
  double gpu_memory_fraction = 0.9;
  backends::ServerOptions so;
  std::string api_key;
  bool allow_unauthenticated = false;
  long long max_body = static_cast<long long>(so.max_body_bytes), max_header = static_cast<long long>(so.max_header_bytes);
  int max_connections = static_cast<int>(so.max_connections), max_queue = static_cast<int>(so.max_queue);
  Flags f("serve", "--model PATH [--host H] [--port N]",
          "Serves a GGUF or Hugging Face model with the built-in engine over an OpenAI-compatible\n"
          "API: POST /v1/chat/completions, POST /v1/completions (both streamed as server-sent\n"
          "events with \"stream\": true), GET /v1/models, GET /v1/models/ID, GET /health.\n"
          "Requests that arrive together are decoded as one batch. Stop with Ctrl-C.\n"
          "With an API key (--api-key, or $BHASA_API_KEY) every /v1 route and GET /metrics (Prometheus\n"
          "text) need 'Authorization: Bearer KEY'; /health stays open. One access-log line per request\n"
          "goes to stderr (or --access-log FILE).");
  f.String("model", &model, "GGUF file or Hugging Face directory", "PATH")
      .String("host", &host, "address to listen on (loopback by default)", "HOST")
      .Int("port", &port, "port (0 = any free port; the chosen one is printed)")
      .String("model-name", &name, "model id reported by /v1/models (default: basename of --model)", "NAME")
      .String("chat-template", &chat_template, "chat template name override", "NAME")
      .Int("threads", &threads, "CPU threads (0 = all cores)")
      .String("device", &device, "cpu | cuda (weight matmuls on the GPU)", "NAME")
      .Int("ctx", &ctx, "context length (0 = the model's)")
      .Double("gpu-memory-fraction", &gpu_memory_fraction,
              "--device cuda: share of the GPU's memory the model may take; a model over it is refused at start")
      .Int("max-batch", &max_batch, "most requests decoded together")
      .String("api-key", &api_key, "key clients must send as 'Authorization: Bearer KEY' (default: $BHASA_API_KEY)",
              "KEY")
      .Bool("allow-unauthenticated", &allow_unauthenticated,
            "listen on a non-loopback address without an API key (anyone who can reach it may use it)")
      .Int64("max-body-size", &max_body, "largest request body in bytes (larger: 413)")
      .Int64("max-header-size", &max_header, "largest request head in bytes (larger: 431)")
      .Int("max-connections", &max_connections,
           "most open connections; beyond, the longest idle one is closed, else the new one is refused")
      .Int("max-queue", &max_queue, "most completions waiting for the engine (beyond: 429 with Retry-After)")
      .Double("idle-timeout", &so.idle_timeout_s, "seconds a connection may wait between requests")
      .Double("read-timeout", &so.read_timeout_s, "seconds to receive one whole request, and to send each reply write")
      .String("access-log", &so.access_log, "append the access log to FILE instead of stderr", "FILE");
  if (!f.Parse(args)) return kExitOk;
  if (model.empty()) throw Error("bhasa serve: --model is required", kExitUsage);
  if (max_batch < 1) throw Error("bhasa serve: --max-batch must be at least 1", kExitUsage);
  auto at_least = [](const char* flag, double v, double min) {
    char shown[32];
    std::snprintf(shown, sizeof shown, "%g", min);
    if (!(v >= min)) throw Error(std::string("bhasa serve: --") + flag + " must be at least " + shown, kExitUsage);
  };
  at_least("max-body-size", static_cast<double>(max_body), 1);
  at_least("max-header-size", static_cast<double>(max_header), 256);
  at_least("max-connections", max_connections, 1);
  at_least("max-queue", max_queue, 1);
  at_least("idle-timeout", so.idle_timeout_s, 0.001);
  at_least("read-timeout", so.read_timeout_s, 0.001);
  if (api_key.empty())
    if (const char* env = std::getenv("BHASA_API_KEY")) api_key = env;
  backends::CheckExposure(host, !api_key.empty(), allow_unauthenticated);
  BackendOptions bo;
  bo.model = model;
  bo.values = {{"threads", std::to_string(threads)},
               {"ctx", std::to_string(ctx)},
               {"device", device},
               {"gpu_memory_fraction", std::to_string(gpu_memory_fraction)}};
  if (!chat_template.empty()) bo.values["chat_template"] = chat_template;
  auto backend = MakeBackend("native", bo);
  so.host = host;
  so.api_key = api_key;
  so.max_body_bytes = static_cast<size_t>(max_body);
  so.max_header_bytes = static_cast<size_t>(max_header);
  so.max_connections = static_cast<size_t>(max_connections);
  so.max_queue = static_cast<size_t>(max_queue);
  so.port = port;
  so.model_name = name.empty() ? results::ModelBasename(model) : name;
  so.max_batch = max_batch;
  backends::OpenAiServer server(*backend, so);
  std::fprintf(stderr, "bhasa serve: %s listening on http://%s:%d/v1%s\n", so.model_name.c_str(), host.c_str(),
               server.port(), api_key.empty() ? "" : " (API key required)");
  std::fflush(stderr);
  server.Run();
  return kExitOk;
}

const RegisterCommand kServe("serve", "serve a model with the built-in engine over an OpenAI-compatible API",
                             ServeCommand);

}  // namespace
}  // namespace bhasa
