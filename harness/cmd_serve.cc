// `bhasa serve`: the built-in engine behind an OpenAI-compatible API.
#include <cstdio>

#include "backends/backend.h"
#include "backends/openai_server.h"
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
  Flags f("serve", "--model PATH [--host H] [--port N]",
          "Serves a GGUF or Hugging Face model with the built-in engine over an OpenAI-compatible\n"
          "API: POST /v1/chat/completions, POST /v1/completions (both streamed as server-sent\n"
          "events with \"stream\": true), GET /v1/models, GET /v1/models/ID, GET /health.\n"
          "Requests that arrive together are decoded as one batch. Stop with Ctrl-C.");
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
      .Int("max-batch", &max_batch, "most requests decoded together");
  if (!f.Parse(args)) return kExitOk;
  if (model.empty()) throw Error("bhasa serve: --model is required", kExitUsage);
  if (max_batch < 1) throw Error("bhasa serve: --max-batch must be at least 1", kExitUsage);
  BackendOptions bo;
  bo.model = model;
  bo.values = {{"threads", std::to_string(threads)},
               {"ctx", std::to_string(ctx)},
               {"device", device},
               {"gpu_memory_fraction", std::to_string(gpu_memory_fraction)}};
  if (!chat_template.empty()) bo.values["chat_template"] = chat_template;
  auto backend = MakeBackend("native", bo);
  backends::ServerOptions so;
  so.host = host;
  so.port = port;
  so.model_name = name.empty() ? results::ModelBasename(model) : name;
  so.max_batch = max_batch;
  backends::OpenAiServer server(*backend, so);
  std::fprintf(stderr, "bhasa serve: %s listening on http://%s:%d/v1\n", so.model_name.c_str(), host.c_str(),
               server.port());
  std::fflush(stderr);
  server.Run();
  return kExitOk;
}

const RegisterCommand kServe("serve", "serve a model with the built-in engine over an OpenAI-compatible API",
                             ServeCommand);

}  // namespace
}  // namespace bhasa
