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
//
// Thread-safety: Generate may be called from several threads at once; each
// call delivers its responses on its own calling thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/http_client.h"
#include "backends/http_retry.h"

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

  // Throws bhasa::Error naming the option and the bad value.
  static OpenAiConfig FromOptions(const BackendOptions& options);
};

class OpenAiBackend : public Backend {
 public:
  // Reads the API key from the environment once, here.
  explicit OpenAiBackend(OpenAiConfig config);
  ~OpenAiBackend() override;

  std::string name() const override { return "openai"; }
  BackendCapabilities capabilities() const override;
  // backend, urls, model, concurrency, timeout, max_retries, api_key_env; never the key.
  nlohmann::json Describe() const override;
  // Keeps at most `concurrency` requests in flight; calls on_response on the
  // calling thread as each request finishes. Requests that exhaust their
  // retries, or get a non-retriable error or a garbled reply, are answered
  // with kFailed and an error naming the request id, the URL and the cause.
  void Generate(std::span<const Request> requests, const OnResponse& on_response) override;

 private:
  // `text` with every occurrence of the API key masked.
  std::string Scrub(std::string text) const;

  OpenAiConfig config_;
  std::string api_key_;  // "" = send no Authorization header
  std::unique_ptr<HttpClient> client_;
  std::atomic<uint64_t> next_url_{0};
};

}  // namespace bhasa::backends
