// bhasa: the one boundary where errors become a message and an exit code.
#include <cstdio>
#include <string>
#include <vector>

#if defined(BHASA_MIMALLOC)
#include <mimalloc.h>
#endif

#include "common/error.h"
#include "common/exit_codes.h"
#include "harness/columns.h"
#include "harness/command.h"

namespace {

void PrintUsage() {
  std::printf("bhasa %s: evaluation harness for LLMs in Southeast Asian languages\n\n", BHASA_VERSION);
  std::printf("usage: bhasa <command> [options]   (bhasa <command> --help for details)\n\ncommands:\n");
  std::vector<std::vector<std::string>> table;
  for (const auto& [name, cmd] : bhasa::CommandRegistry().entries()) table.push_back({"  " + name, cmd.summary});
  std::fputs(bhasa::FormatColumns(table).c_str(), stdout);
  std::printf("\nexit codes: 0 ok, 1 regression found (compare), 2 usage or input error,\n"
              "            3 runtime failure, 4 run finished with failed requests, 130 interrupted\n");
}

#if defined(BHASA_MIMALLOC)
// Heap in 2 MiB pages where the kernel grants them (transparent huge pages,
// asked for with madvise): scoring 10,000 rows touches tens of MB of fresh
// heap. The options are set from .preinit_array, which runs before any
// library's constructor: set in main, they came after the libraries' own
// allocations had mapped the segment that serves most of the main thread's
// heap, and a run still took 5,400 zero-filled 4 KiB page faults (600 now).
void AskForHugeHeapPages(int, char**, char**) {
  mi_option_enable(mi_option_large_os_pages);
  mi_option_set(mi_option_eager_commit_delay, 0);
}
[[gnu::section(".preinit_array"), gnu::used]] void (*const kAskForHugeHeapPages)(int, char**, char**) =
    AskForHugeHeapPages;
#endif

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintUsage();
    return args.empty() ? bhasa::kExitUsage : bhasa::kExitOk;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::printf("bhasa %s\n", BHASA_VERSION);
    return bhasa::kExitOk;
  }
  try {
    const auto& cmd = bhasa::CommandRegistry().Get(args[0]);
    return cmd.run(std::span<const std::string>(args).subspan(1));
  } catch (const bhasa::Error& e) {
    std::fprintf(stderr, "bhasa: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bhasa: internal error: %s\n", e.what());
    return bhasa::kExitRuntime;
  } catch (...) {
    std::fprintf(stderr, "bhasa: internal error\n");
    return bhasa::kExitRuntime;
  }
}
