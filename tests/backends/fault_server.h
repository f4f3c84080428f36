// FaultServer: a loopback HTTP/1.1 server for backend tests that answers
// each request through a handler and can misbehave on purpose (delays,
// truncated bodies, reset or closed connections). Binds 127.0.0.1 on a port
// the OS picks; stops itself after `lifetime_s` or `max_requests`.
//
// Thread-safety: the handler runs on the server's single thread; the
// accessors may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bhasa::testing {

struct SeenRequest {
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  int connection = 0;                                        // 0-based accept order
};

struct Reply {
  enum class Fault {
    kNone,
    kTruncate,    // announce the full Content-Length, send half the body, close
    kReset,       // abort the connection (TCP RST) instead of answering
    kCloseAfter,  // answer normally (keep-alive), then close the connection
    kRaw,         // send `body` as raw bytes instead of an HTTP response, then close
  };
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  double delay_s = 0;  // wait this long before answering (asynchronously)
  Fault fault = Fault::kNone;
};

// OpenAI-style echo: chat requests get "echo: <last message content>",
// completion requests "echo: <prompt>"; finish_reason "stop", and usage
// {prompt_tokens: bytes of the echoed text, completion_tokens: 3}.
Reply EchoReply(const SeenRequest& request);
// A reply with this status and body (application/json).
Reply StatusReply(int status, std::string body = "{}");

class FaultServer {
 public:
  // `handler` gets each request and its 0-based arrival index.
  using Handler = std::function<Reply(const SeenRequest&, int index)>;
  explicit FaultServer(Handler handler, double lifetime_s = 30, int max_requests = 5000);
  ~FaultServer();

  int port() const;
  std::string url() const;  // "http://127.0.0.1:<port>"
  std::vector<SeenRequest> seen() const;
  int requests() const;       // requests received
  int connections() const;    // connections accepted
  int max_in_flight() const;  // most requests being answered at the same time

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bhasa::testing
