// `bhasa serve` as a hostile client meets it: the input is sent as raw bytes
// over a TCP connection to an in-process OpenAiServer (HTTP parsing, routing,
// request body fields, streamed and plain replies), and the reply is read to
// the end. The server answers from the replay backend, which knows the
// answer to one chat ("Halo") and one completion prompt ("Halo"), so that
// seeds reach the success and streaming paths as well as the refusals.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include <nlohmann/json.hpp>

#include "backends/backend.h"
#include "backends/openai_server.h"
#include "fuzz/support.h"

namespace {

using namespace bhasa;

std::string AnswersFile(const fuzz::ScratchDir& dir) {
  Request chat;
  chat.messages = {{"user", "Halo"}};
  Request completion;
  completion.prompt = "Halo";
  std::string lines;
  for (const Request* r : {&chat, &completion})
    lines += nlohmann::json{{"prompt_hash", r->PromptHash()}, {"text", "Halo juga!"}}.dump() + "\n";
  return dir.Write("answers.jsonl", lines);
}

// Started once and never stopped or destroyed: its thread serves until the
// process ends, so nothing may be torn down under it at exit.
backends::OpenAiServer& Server() {
  static backends::OpenAiServer* const server = [] {
    static const fuzz::ScratchDir dir;
    BackendOptions options;
    options.values["file"] = AnswersFile(dir);
    static Backend* backend = MakeBackend("replay", options).release();
    backends::ServerOptions so;
    so.port = 0;
    so.model_name = "tiny";
    // Each line is still formatted (the path and method come from the input),
    // but a million of them need not reach the fuzzer's log.
    so.access_log = "/dev/null";
    auto* s = new backends::OpenAiServer(*backend, so);
    std::thread([s] {
      // libFuzzer's -timeout is a SIGALRM every few seconds. Blocked here (and
      // so in every session thread, which inherits the mask) it interrupts
      // only the client below, which retries, and never a server read.
      sigset_t alarm;
      sigemptyset(&alarm);
      sigaddset(&alarm, SIGALRM);
      pthread_sigmask(SIG_BLOCK, &alarm, nullptr);
      s->Run();
    }).detach();
    return s;
  }();
  return *server;
}

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "serve_http: %s: %s\n", what, std::strerror(errno));
  std::abort();
}

// connect() cut short by a signal goes on in the background: wait for it.
void Connect(int fd, const sockaddr_in& addr) {
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return;
  if (errno != EINTR) Fail("connect");
  pollfd p{fd, POLLOUT, 0};
  while (poll(&p, 1, -1) < 0)
    if (errno != EINTR) Fail("poll");
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) Fail("getsockopt");
  if (err != 0) {
    errno = err;
    Fail("connect");
  }
}

// 50 µs, to an absolute deadline: a relative sleep restarted after each
// SIGALRM (see the replay's --alarm-us) may never reach its end.
void Nap() {
  timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += 50'000;
  if (until.tv_nsec >= 1'000'000'000) {
    until.tv_nsec -= 1'000'000'000;
    ++until.tv_sec;
  }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  backends::OpenAiServer& server = Server();
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Fail("socket");
  Connect(fd, addr);
  // A server that stops answering is a finding: libFuzzer's -timeout reports it.
  for (size_t sent = 0; sent < size;) {
    ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server refused the rest and closed: fine
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) != 0;)
    if (n < 0 && errno != EINTR) break;
  close(fd);
  // One input is one whole exchange: the session's thread ends before the
  // next input (or libFuzzer's leak check, which would otherwise see the
  // allocations of a session still under way) starts. A session that never
  // ends is a hang, which -timeout reports.
  while (server.open_connections() > 0) Nap();
  return 0;
}
