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
  const std::string out = Capture(ProgressMode::kLines, std::chrono::hours(1), 4, [](Progress& p) {
    p.Tick();
    p.Tick(/*failed=*/true);
    p.Tick();
    p.Tick();
  });
  // A line at the start and one at the end; ticks within the interval print nothing.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << "lines mode must not redraw in place";
  EXPECT_NE(out.find("bhasa: model round 1: 0/4 (0%), 0.0/s, ETA --, 0 failed\n"), std::string::npos) << out;
  EXPECT_NE(out.find("bhasa: model round 1: 4/4 (100%), "), std::string::npos) << out;
  EXPECT_NE(out.find("ETA 0s, 1 failed\n"), std::string::npos) << out;
}

TEST(Progress, LinesModePrintsEveryIntervalWhileNothingFinishes) {
  const std::string out = Capture(ProgressMode::kLines, std::chrono::milliseconds(40), 4, [](Progress& p) {
    p.Tick(/*failed=*/true);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  });
  // The start line, several timer lines with the same count, the end line.
  size_t timer_lines = 0;
  for (size_t at = 0; (at = out.find("1/4 (25%)", at)) != std::string::npos; ++at) ++timer_lines;
  EXPECT_GE(timer_lines, 3u) << out;
  EXPECT_NE(out.find("ETA --"), std::string::npos) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("1/4 \\(25%\\), [0-9.]+/(s|min), ETA [0-9]+(s|m[0-9]{2}s), 1 failed\n"))) << out;
}

TEST(Progress, SlowRatesPerMinuteAndLongEtasInMinutes) {
  const std::string out = Capture(ProgressMode::kLines, std::chrono::milliseconds(50), 200, [](Progress& p) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    p.Tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(120));
  });
  // One request in ~1.1 s: under one per second, and 199 more take minutes.
  EXPECT_TRUE(std::regex_search(out, std::regex("1/200 \\(0%\\), [0-9]+\\.[0-9]/min, ETA [0-9]+m[0-9]{2}s, 0 failed\n")))
      << out;
}

TEST(Progress, OffPrintsNothing) {
  EXPECT_EQ(Capture(ProgressMode::kOff, std::chrono::milliseconds(1), 3, [](Progress& p) { p.Tick(); }), "");
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
