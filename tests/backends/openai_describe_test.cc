// What the openai backend records in results.json: server hosts as host:port,
// never a path or a key.
#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/backend.h"

namespace bhasa {
namespace {

TEST(OpenAiDescribe, UrlHostsAreHostAndPortOnly) {
  ::setenv("BHASA_TEST_DESCRIBE_KEY", "sk-secret-1234", 1);
  BackendOptions o;
  o.model = "m";
  o.values = {{"url", "https://api.example.org/v1/,http://10.0.0.7:8000,http://[::1]:9000/v1"},
              {"api_key_env", "BHASA_TEST_DESCRIBE_KEY"}};
  const nlohmann::json d = MakeBackend("openai", o)->Describe();
  EXPECT_EQ(d["url_hosts"], nlohmann::json({"api.example.org:443", "10.0.0.7:8000", "[::1]:9000"}));
  EXPECT_EQ(d.dump().find("sk-secret-1234"), std::string::npos);
  ::unsetenv("BHASA_TEST_DESCRIBE_KEY");
}

}  // namespace
}  // namespace bhasa
