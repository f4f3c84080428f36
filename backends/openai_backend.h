// OpenAiBackend ("openai"): any OpenAI-compatible server (vLLM, SGLang, TGI,
// llama.cpp's server, Ollama, OpenAI itself) over HTTP(S).
//
// Options (BackendOptions.values; model from BackendOptions.model):
//   url              base URL, or several separated by commas (round-robin per
//                    attempt); "/v1" is appended unless the path already ends in it
//   api_key_env      environment variable holding the API key (default OPENAI_API_KEY);
//                    the key is sent only as "Authorization: Bearer ..." and is
//                    never logged, described or copied into an error
//   concurrency      requests in flight at once (default 16)
//   timeout          seconds per attempt (default 600)
//   connect_timeout  seconds per TCP/TLS connect (default 30)
//   max_retries      retries after the first attempt (default 5), on connect
//                    errors, timeouts, broken connections, 408, 429 and 5xx
//   retry_base_delay, retry_max_delay   backoff in seconds (default 1, 60)
//   tls_verify       "true"/"false" (default true); ca_file: extra PEM trust anchors
//   chat_template    "base" (alias "seahelm-base"): messages are rendered with
//                    SEA-HELM's base template here and sent to /v1/completions;
//                    "" or "auto": /v1/chat/completions with the server's template
//
// Thread-safety: Generate may be called from several threads at once; each
// call delivers its responses on its own calling thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/http_client.h"
#include "backends/http_retry.h"
#include "backends/openai_wire.h"

namespace bhasa::backends {

struct OpenAiConfig {
  std::vector<Url> urls;  // base URLs ending in /v1
  std::string model;
  std::string api_key_env = "OPENAI_API_KEY";
  int concurrency = 16;
  double timeout_s = 600;
  double connect_timeout_s = 30;
  RetryPolicy retry;
  bool verify_tls = true;
  std::string ca_file;
  MessageFormat message_format = MessageFormat::kServerTemplate;
  PromptLogprobsApi prompt_logprobs_api = PromptLogprobsApi::kVllm;

  // Throws bhasa::Error naming the option and the bad value.
  static OpenAiConfig FromOptions(const BackendOptions& options);
};

class OpenAiBackend : public Backend {
 public:
  // Reads the API key from the environment once, here.
  explicit OpenAiBackend(OpenAiConfig config);
  ~OpenAiBackend() override;

  std::string name() const override { return "openai"; }
  // Asks every URL's GET /v1/models once (connect and reply within 5 and 10
  // seconds): the context length of the model, and a warning when the
  // servers list models but not this one. Throws Error with kExitRuntime
  // naming the URL when a server cannot be reached, refuses the key, or
  // fails; a server without /v1/models (404) leaves the context unknown.
  BackendCapabilities capabilities() const override;
  // backend, urls, model, endpoint, concurrency, timeout, max_retries,
  // api_key_env, and max_context once known; never the key.
  nlohmann::json Describe() const override;
  // Keeps at most `concurrency` requests in flight; calls on_response on the
  // calling thread as each request finishes. Requests that exhaust their
  // retries, or get a non-retriable error or a garbled reply, are answered
  // with kFailed and an error naming the request id, the URL and the cause.
  void Generate(std::span<const Request> requests, const OnResponse& on_response) override;

 private:
  // `text` with every occurrence of the API key masked.
  std::string Scrub(std::string text) const;
  BackendCapabilities AskServers() const;

  OpenAiConfig config_;
  std::string api_key_;  // "" = send no Authorization header
  std::unique_ptr<HttpClient> client_;
  std::atomic<uint64_t> next_url_{0};
  mutable std::mutex capabilities_mu_;
  mutable std::optional<BackendCapabilities> capabilities_;
};

}  // namespace bhasa::backends
