// Helpers shared by the fuzz targets (fuzz/targets/*.cc).
//
// A target feeds one input to one parser of outside input and lets only
// bhasa::Error through: that is how bad input must end (exit 2 with a
// message). Any other exception, a crash, a hang or a sanitizer report is a
// finding. Inputs that hold several files are split at kPartSeparator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace bhasa::fuzz {

// A line of its own between the files of a multi-file input (config.json,
// safetensors header, ...); the fuzzer's dictionaries hold it too.
inline constexpr std::string_view kPartSeparator = "\n=====\n";

// The input as `n` parts; missing parts are empty.
std::vector<std::string_view> SplitParts(const uint8_t* data, size_t size, size_t n);

// A directory private to this process, emptied by Reset(); targets whose
// parser takes a path write their input files here.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();  // removes the directory
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  // Removes every file written by the previous input.
  void Reset() const;
  // Writes `bytes` to path()/name and returns that path.
  std::string Write(const std::string& name, std::string_view bytes) const;

 private:
  std::string path_;
};

// Runs `parse` on one input; bad input must end in bhasa::Error.
template <class F>
void ExpectErrorOnly(F&& parse) {
  try {
    parse();
  } catch (const bhasa::Error&) {
  }
}

}  // namespace bhasa::fuzz
