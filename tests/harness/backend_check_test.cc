#include "harness/backend_check.h"

#include <gtest/gtest.h>

namespace bhasa {
namespace {

TEST(WhyBackendCannotRun, ALogprobTaskNeedsLogprobs) {
  tasks::TaskConfig plain, logprob;
  plain.name = "sentiment";
  logprob.name = "sentiment-logprobs";
  logprob.use_logprobs = true;
  BackendCapabilities without, with;
  with.logprobs = true;
  EXPECT_EQ(WhyBackendCannotRun(plain, without, "x"), "");
  EXPECT_EQ(WhyBackendCannotRun(logprob, with, "x"), "");
  EXPECT_EQ(WhyBackendCannotRun(logprob, without, "x"), "the x backend cannot give log-probabilities");
}

}  // namespace
}  // namespace bhasa
