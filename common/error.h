// bhasa::Error: the one exception type, carrying where the problem is.
#pragma once

#include <stdexcept>
#include <string>

namespace bhasa {

// Thrown for bad input or failed operations. The message already names the
// file, line, field or request involved; harness/main.cc turns it into one
// line on stderr and an exit code.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what, int exit_code = 2)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// "path:line: message", the form every parse error uses.
inline Error FileError(const std::string& path, long line, const std::string& msg) {
  std::string s = path;
  if (line > 0) s.append(":").append(std::to_string(line));
  s.append(": ").append(msg);
  return Error(s);
}

}  // namespace bhasa
