// YAML → JSON: scalar typing, and the bounds that keep hostile YAML (an alias
// inside its own anchor, aliases of aliases) an input error instead of a
// stack overflow or an exponential expansion.
#include "tasks/yaml_json.h"

#include <string>

#include <gtest/gtest.h>

#include "common/error.h"

namespace bhasa::tasks {
namespace {

std::string ErrorOf(const std::string& yaml) {
  try {
    ParseYaml(yaml, "t.yaml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(YamlJson, ScalarsAreTypedAndAliasesExpanded) {
  nlohmann::json j = ParseYaml("a: &x {n: 1, f: 2.5, s: '1', b: true, z: ~}\nb: *x\n", "t.yaml");
  EXPECT_EQ(j["b"], j["a"]);
  EXPECT_EQ(j["a"]["n"], 1);
  EXPECT_EQ(j["a"]["f"], 2.5);
  EXPECT_EQ(j["a"]["s"], "1");
  EXPECT_EQ(j["a"]["b"], true);
  EXPECT_TRUE(j["a"]["z"].is_null());
}

TEST(YamlJson, AnAliasInsideItsOwnAnchorIsAnErrorNamingTheFile) {
  std::string e = ErrorOf("en: &lang\n  max_tokens: 4096\n  again: *lang\n");
  EXPECT_NE(e.find("t.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("levels deep"), std::string::npos) << e;
}

TEST(YamlJson, AliasesOfAliasesStopAtAMillionValues) {
  // Each level lists the previous one ten times: 10^7 values once expanded.
  std::string yaml = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 6; ++i) {
    std::string prev = "*l" + std::to_string(i - 1);
    yaml += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", " : "") + prev;
    yaml += "]\n";
  }
  std::string e = ErrorOf(yaml);
  EXPECT_NE(e.find("more than 1000000 values"), std::string::npos) << e;
}

TEST(YamlJson, DeepButFiniteNestingWithinTheBoundIsRead) {
  std::string yaml = "a: ";
  for (int i = 0; i < 60; ++i) yaml += "[";
  for (int i = 0; i < 60; ++i) yaml += "]";
  EXPECT_TRUE(ParseYaml(yaml + "\n", "t.yaml")["a"].is_array());
}

}  // namespace
}  // namespace bhasa::tasks
