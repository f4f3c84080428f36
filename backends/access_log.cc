#include "backends/access_log.h"

#include <cerrno>
#include <cstring>
#include <ctime>

#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa::backends {
namespace {

std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c > 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    }
  }
  return out;
}

std::string UtcMillis(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

std::string FormatAccessLine(const AccessRecord& r) {
  char tail[96];
  std::snprintf(tail, sizeof tail, "%d prompt_tokens=%d completion_tokens=%d %.3fs", r.status, r.prompt_tokens,
                r.completion_tokens, r.seconds);
  return UtcMillis(r.time) + " " + Printable(r.client) + " \"" + Printable(r.method) + " " + Printable(r.path) +
         "\" " + tail;
}

AccessLog::AccessLog(const std::string& path) : out_(stderr), owned_(false) {
  if (path.empty()) return;
  out_ = std::fopen(path.c_str(), "a");
  if (!out_) throw Error("cannot open access log " + path + ": " + std::strerror(errno), kExitUsage);
  owned_ = true;
}

AccessLog::~AccessLog() {
  if (owned_) std::fclose(out_);
}

void AccessLog::Write(const AccessRecord& r) {
  const std::string line = FormatAccessLine(r) + "\n";
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace bhasa::backends
