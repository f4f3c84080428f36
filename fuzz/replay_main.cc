// The fuzz targets without libFuzzer: feeds every file named on the command
// line (directories: every file under them, sorted) to LLVMFuzzerTestOneInput
// once, so that the ordinary build replays the seed corpus and every committed
// regression input. Prints one line per file before running it, so a crash
// names its input.
//
// Options before the inputs: --repeat=N feeds the whole list N times;
// --alarm-us=N raises SIGALRM every N microseconds with a handler installed
// without SA_RESTART, as libFuzzer's -timeout does (every few seconds there),
// so that a target which cannot take an interrupted system call fails here
// and not by chance in a long fuzzing run.
#include <sys/time.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void StartAlarms(long micros) {
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, nullptr);
  const timeval every{micros / 1000000, micros % 1000000};
  const itimerval timer{every, every};
  setitimer(ITIMER_REAL, &timer, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::vector<fs::path> inputs;
  long repeat = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.starts_with("--repeat=")) {
      repeat = std::max(1L, std::strtol(arg.c_str() + 9, nullptr, 10));
      continue;
    }
    if (arg.starts_with("--alarm-us=")) {
      StartAlarms(std::max(1L, std::strtol(arg.c_str() + 11, nullptr, 10)));
      continue;
    }
    fs::path p = argv[i];
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) inputs.push_back(e.path());
    } else if (fs::exists(p)) {
      inputs.push_back(p);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  for (long r = 0; r < repeat; ++r) {
    for (const auto& p : inputs) {
      if (r == 0) {
        std::printf("%s\n", p.c_str());
        std::fflush(stdout);
      }
      std::ifstream in(p, std::ios::binary);
      std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    }
  }
  std::printf("%zu inputs replayed%s\n", inputs.size(),
              repeat > 1 ? (" " + std::to_string(repeat) + " times").c_str() : "");
  return inputs.empty() ? 1 : 0;
}
