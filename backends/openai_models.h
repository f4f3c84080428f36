// The reply of an OpenAI-compatible server's GET /v1/models, read for the
// facts `bhasa run` checks before it plans: which models are served and how
// long a context the one under test has. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bhasa::backends {

struct ServedModels {
  std::vector<std::string> ids;  // data[].id, in the server's order
  bool listed = false;           // the model asked for is among them
  // Context length of the model asked for (of the only one when the server
  // lists one, whatever its name): vLLM's max_model_len, else llama.cpp's
  // meta.n_ctx (the context it serves), else meta.n_ctx_train; 0 = not said.
  int max_context = 0;
};

// Throws bhasa::Error naming what is wrong when `body` is not a model list.
ServedModels ParseModelsReply(std::string_view body, const std::string& model);

}  // namespace bhasa::backends
