// Progress lines for logs (BHASA_PROGRESS=lines): counts, rate, ETA, failures.
#include "harness/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace bhasa {
namespace {

// Runs `body` with a Progress writing to a temporary file; returns the text.
template <typename F>
std::string Capture(ProgressMode mode, std::chrono::milliseconds interval, size_t total, F body) {
  FILE* f = std::tmpfile();
  {
    Progress p("model round 1", total, mode, interval, f);
    body(p);
  }
  std::rewind(f);
  std::string out;
  char buf[1024];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  std::fclose(f);
  return out;
}

TEST(Progress, LinesModeStartsWithUnknownEtaAndCountsFailures) {
  const std::string out = Capture(ProgressMode::kLines, std::chrono::milliseconds(0), 4, [](Progress& p) {
    p.Tick();
    p.Tick(/*failed=*/true);
    p.Tick();
    p.Tick();
  });
  // One line at the start, one per tick while unfinished (interval 0), one at the end.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 5) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << "lines mode must not redraw in place";
  EXPECT_NE(out.find("bhasa: model round 1: 0/4 (0%), 0.0/s, ETA --, 0 failed\n"), std::string::npos) << out;
  EXPECT_NE(out.find("bhasa: model round 1: 2/4 (50%), "), std::string::npos) << out;
  EXPECT_NE(out.find(", 1 failed\n"), std::string::npos) << out;
  EXPECT_NE(out.find("4/4 (100%), "), std::string::npos) << out;
  EXPECT_NE(out.find("ETA 0s, 1 failed\n"), std::string::npos) << out;
}

TEST(Progress, LinesModeWaitsForTheInterval) {
  const std::string out = Capture(ProgressMode::kLines, std::chrono::hours(1), 100, [](Progress& p) {
    for (int i = 0; i < 100; ++i) p.Tick();
  });
  // The first and the last line only: ticks within the interval print nothing.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  EXPECT_NE(out.find("100/100"), std::string::npos) << out;
}

TEST(Progress, SlowRatesPerMinuteAndLongEtasInMinutes) {
  const std::string out = Capture(ProgressMode::kLines, std::chrono::milliseconds(0), 200, [](Progress& p) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    p.Tick();
  });
  // One request in ~1.1 s: under one per second, and 199 more take minutes.
  EXPECT_TRUE(std::regex_search(out, std::regex("1/200 \\(0%\\), [0-9]+\\.[0-9]/min, ETA [0-9]+m[0-9]{2}s, 0 failed\n")))
      << out;
}

TEST(Progress, OffPrintsNothing) {
  EXPECT_EQ(Capture(ProgressMode::kOff, std::chrono::milliseconds(0), 3, [](Progress& p) { p.Tick(); }), "");
}

TEST(Progress, ModeFromEnvironment) {
  ::setenv("BHASA_PROGRESS", "lines", 1);
  EXPECT_EQ(ProgressModeFromEnv(), ProgressMode::kLines);
  ::setenv("BHASA_PROGRESS", "off", 1);
  EXPECT_EQ(ProgressModeFromEnv(), ProgressMode::kOff);
  ::setenv("BHASA_PROGRESS", "tty", 1);
  EXPECT_EQ(ProgressModeFromEnv(), ProgressMode::kTty);
  // auto: test output is not a terminal here (ctest captures it).
  ::setenv("BHASA_PROGRESS", "auto", 1);
  if (!isatty(fileno(stderr))) {
    EXPECT_EQ(ProgressModeFromEnv(), ProgressMode::kLines);
  }
  ::unsetenv("BHASA_PROGRESS");
}

}  // namespace
}  // namespace bhasa
