#include "harness/flags.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/exit_codes.h"

namespace bhasa {
namespace {

struct Opts {
  std::string model;
  int limit = 0;
  double timeout = 1.5;
  bool json = false;
  std::vector<std::string> tasks = {"default"};
  std::string dir;
};

Flags Declare(Opts& o) {
  Flags f("demo", "DIR [options]", "A demo command.");
  f.Positional("DIR", &o.dir, "a directory")
      .String("model", &o.model, "model path")
      .Int("limit", &o.limit, "row limit")
      .Double("timeout", &o.timeout, "seconds")
      .Bool("json", &o.json, "JSON output")
      .List("tasks", &o.tasks, "tasks")
      .Alias("-m", "--model");
  return f;
}

bool Parse(Flags& f, std::vector<std::string> args) { return f.Parse(args); }

TEST(Flags, ParsesEveryKindAndBothValueForms) {
  Opts o;
  Flags f = Declare(o);
  ASSERT_TRUE(Parse(f, {"runs", "--model=m.gguf", "--limit", "5", "--timeout", "2.5", "--json", "--tasks", "a,b",
                        "--tasks", "c"}));
  EXPECT_EQ(o.dir, "runs");
  EXPECT_EQ(o.model, "m.gguf");
  EXPECT_EQ(o.limit, 5);
  EXPECT_DOUBLE_EQ(o.timeout, 2.5);
  EXPECT_TRUE(o.json);
  EXPECT_EQ(o.tasks, (std::vector<std::string>{"a", "b", "c"}));  // given lists replace the default
  EXPECT_TRUE(f.WasSet("limit"));
  EXPECT_FALSE(f.Values().empty());
}

TEST(Flags, AliasesNegationAndDefaults) {
  Opts o;
  o.json = true;
  Flags f = Declare(o);
  ASSERT_TRUE(Parse(f, {"-m", "x", "--no-json", "d"}));
  EXPECT_EQ(o.model, "x");
  EXPECT_FALSE(o.json);
  EXPECT_EQ(o.tasks, std::vector<std::string>{"default"});
}

TEST(Flags, BadInputIsAUsageError) {
  for (std::vector<std::string> bad : {std::vector<std::string>{"d", "--nope"},
                                       {"d", "--limit", "many"},
                                       {"d", "--limit"},
                                       {"d", "extra"},
                                       {}}) {
    Opts o;
    Flags f = Declare(o);
    try {
      f.Parse(bad);
      ADD_FAILURE() << "expected a usage error";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitUsage);
      EXPECT_NE(std::string(e.what()).find("bhasa demo"), std::string::npos);
    }
  }
}

TEST(Flags, HelpListsOptionsWithDefaults) {
  Opts o;
  Flags f = Declare(o);
  std::string h = f.Help();
  EXPECT_NE(h.find("--timeout X"), std::string::npos);
  EXPECT_NE(h.find("[default: 1.5]"), std::string::npos);
  EXPECT_NE(h.find("usage: bhasa demo DIR"), std::string::npos);
  testing::internal::CaptureStdout();
  EXPECT_FALSE(Parse(f, {"--help"}));
  EXPECT_NE(testing::internal::GetCapturedStdout().find("A demo command."), std::string::npos);
}

TEST(Flags, OptionalNumbersStayUnsetUntilGiven) {
  std::optional<double> temperature;
  std::optional<int> top_k;
  Flags f("demo", "", "");
  f.OptionalDouble("temperature", &temperature, "t").OptionalInt("top-k", &top_k, "k");
  ASSERT_TRUE(Parse(f, {}));
  EXPECT_FALSE(temperature);
  EXPECT_FALSE(top_k);
  EXPECT_EQ(f.Help().find("[default:"), std::string::npos);
  EXPECT_TRUE(f.Values()["temperature"].is_null());
  ASSERT_TRUE(Parse(f, {"--temperature", "0", "--top-k=40"}));
  EXPECT_EQ(temperature, 0.0);  // zero is a value, not "unset"
  EXPECT_EQ(top_k, 40);
  EXPECT_EQ(f.Values()["top-k"], 40);
  EXPECT_THROW(Parse(f, {"--top-k", "many"}), Error);
}

}  // namespace
}  // namespace bhasa
