// OpenAiServer: any Backend behind an OpenAI-compatible HTTP API
// (/v1/chat/completions, /v1/completions, /v1/models, /health). Requests that
// arrive together are answered in one Backend::Generate call, so the native
// engine decodes them as one batch.
#pragma once

#include <memory>
#include <string>

#include "backends/backend.h"

namespace bhasa::backends {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;               // 0 = any free port
  std::string model_name = "bhasa";
  int max_batch = 16;            // most requests handed to the backend at once
  size_t max_body_bytes = 16u << 20;   // larger bodies: 413
  // Safe to expose (docs/serve.md, "Limits"):
  std::string api_key;                 // "" = none; else every /v1 route and /metrics need "Bearer <key>"
  size_t max_header_bytes = 16u << 10; // larger request heads: 431
  size_t max_connections = 512;        // open at once; beyond, idle ones make room, else refused
  size_t max_queue = 256;              // completions waiting for the engine; beyond, 429
  double idle_timeout_s = 60;          // a connection with no request in progress is closed
  double read_timeout_s = 30;          // to read one whole request, and for each write of a reply
  std::string access_log;              // file the access log is appended to; "" = stderr
};

class OpenAiServer {
 public:
  // Binds the port (Error naming host:port when it cannot). The backend must
  // outlive the server.
  OpenAiServer(Backend& backend, ServerOptions options);
  ~OpenAiServer();
  int port() const;
  // Client connections being served now (admitted and not yet ended).
  size_t open_connections() const;
  // Serves until Stop() is called from another thread.
  void Run();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bhasa::backends
