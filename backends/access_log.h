// AccessLog: one line per request answered by `bhasa serve`, to stderr or a
// file. A line holds what an operator needs and nothing a client sent in its
// body or headers: never prompt text, never the API key.
//
// Thread-safety: Write may be called from any thread; lines never interleave.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace bhasa::backends {

struct AccessRecord {
  std::chrono::system_clock::time_point time;  // when the request arrived
  std::string client;                          // "address:port"
  std::string method;
  std::string path;                            // the target without its query string
  int status = 0;
  int prompt_tokens = 0;
  int completion_tokens = 0;
  double seconds = 0;
};

// 2026-11-30T03:12:45.123Z 127.0.0.1:50312 "POST /v1/chat/completions" 200 prompt_tokens=12 completion_tokens=30 0.412s
// Bytes outside printable ASCII in the method or path are written as \xHH.
std::string FormatAccessLine(const AccessRecord& r);

class AccessLog {
 public:
  // Appends to `path`; "" writes to stderr. Throws Error naming the file when it cannot be opened.
  explicit AccessLog(const std::string& path = "");
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;
  void Write(const AccessRecord& r);

 private:
  std::mutex mu_;
  std::FILE* out_;
  bool owned_;
};

}  // namespace bhasa::backends
