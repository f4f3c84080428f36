// The openai backend's capabilities: what GET /v1/models says (vLLM's
// max_model_len, llama.cpp's meta), and the failures that must stop a run.
#include <chrono>

#include <gtest/gtest.h>

#include "backends/openai_backend.h"
#include "backends/openai_models.h"
#include "common/error.h"
#include "common/exit_codes.h"
#include "tests/backends/fault_server.h"

namespace bhasa::backends {
namespace {

using bhasa::testing::FaultServer;
using bhasa::testing::Reply;
using bhasa::testing::SeenRequest;
using bhasa::testing::StatusReply;

constexpr const char* kLlamaServerModels =
    R"({"object":"list","data":[{"id":"sea-lion-Q4_K_M.gguf","object":"model","owned_by":"llamacpp",)"
    R"("meta":{"vocab_type":2,"n_vocab":128256,"n_ctx":2048,"n_ctx_train":8192}}]})";
constexpr const char* kVllmModels =
    R"({"object":"list","data":[{"id":"aisingapore/sea-lion","object":"model","owned_by":"vllm",)"
    R"("max_model_len":8192},{"id":"judge","object":"model","max_model_len":4096}]})";

BackendOptions Options(const std::string& url, const std::string& model) {
  BackendOptions o;
  o.model = model;
  o.values = {{"url", url}, {"connect_timeout", "2"}, {"timeout", "5"}, {"api_key_env", "BHASA_TEST_NO_SUCH_KEY"}};
  return o;
}

// Serves `models_body` on GET /v1/models.
FaultServer ModelsServer(int status, std::string models_body) {
  return FaultServer([status, models_body](const SeenRequest& r, int) {
    if (r.method == "GET" && r.target == "/v1/models") return StatusReply(status, models_body);
    return StatusReply(404, R"({"error":"not found"})");
  });
}

std::pair<int, std::string> CapabilitiesError(const Backend& b) {
  try {
    b.capabilities();
  } catch (const Error& e) {
    return {e.exit_code(), e.what()};
  }
  return {-1, ""};
}

TEST(ServedModels, ReadsEachServersContextField) {
  ServedModels llama = ParseModelsReply(kLlamaServerModels, "any-name");
  EXPECT_FALSE(llama.listed);
  EXPECT_EQ(llama.max_context, 2048);  // the context it serves, not the training one
  ServedModels vllm = ParseModelsReply(kVllmModels, "judge");
  EXPECT_TRUE(vllm.listed);
  EXPECT_EQ(vllm.max_context, 4096);
  EXPECT_EQ(vllm.ids, (std::vector<std::string>{"aisingapore/sea-lion", "judge"}));
  EXPECT_EQ(ParseModelsReply(kVllmModels, "other").max_context, 0);
  EXPECT_EQ(ParseModelsReply(R"({"data":[{"id":"m","meta":{"n_ctx_train":4096}}]})", "m").max_context, 4096);
  EXPECT_THROW(ParseModelsReply(R"({"models":[]})", "m"), Error);
  EXPECT_THROW(ParseModelsReply("<html>", "m"), Error);
}

TEST(OpenAiCapabilities, AskTheServerOnce) {
  FaultServer server = ModelsServer(200, kLlamaServerModels);
  auto b = MakeBackend("openai", Options(server.url(), "sea-lion"));
  EXPECT_EQ(b->capabilities().max_context, 2048);
  EXPECT_TRUE(b->capabilities().warning.empty());  // one model served: llama.cpp answers any name
  EXPECT_EQ(b->Describe()["max_context"], 2048);
  EXPECT_EQ(server.requests(), 1);
}

TEST(OpenAiCapabilities, WarnsWhenTheModelIsNotListed) {
  FaultServer server = ModelsServer(200, kVllmModels);
  auto b = MakeBackend("openai", Options(server.url(), "sea-lion"));
  const std::string warning = b->capabilities().warning;
  EXPECT_NE(warning.find("does not list model 'sea-lion'"), std::string::npos) << warning;
  EXPECT_NE(warning.find("aisingapore/sea-lion, judge"), std::string::npos) << warning;
}

TEST(OpenAiCapabilities, NoModelListLeavesTheContextUnknown) {
  FaultServer server = ModelsServer(404, R"({"error":"not found"})");
  auto b = MakeBackend("openai", Options(server.url(), "m"));
  EXPECT_EQ(b->capabilities().max_context, 0);
  EXPECT_TRUE(b->capabilities().chat);
}

TEST(OpenAiCapabilities, UnreachableServerIsARuntimeErrorNamingTheUrl) {
  int port = 0;
  {
    FaultServer gone = ModelsServer(200, kVllmModels);
    port = gone.port();
  }  // closed: connections are refused
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto b = MakeBackend("openai", Options(url, "m"));
  const auto t0 = std::chrono::steady_clock::now();
  auto [code, what] = CapabilitiesError(*b);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
  EXPECT_EQ(code, kExitRuntime);
  EXPECT_NE(what.find("cannot reach " + url + "/v1/models"), std::string::npos) << what;
}

TEST(OpenAiCapabilities, RefusedKeyAndServerErrorsStopTheRun) {
  FaultServer unauthorized = ModelsServer(401, R"({"error":{"message":"Invalid API key"}})");
  auto [code, what] = CapabilitiesError(*MakeBackend("openai", Options(unauthorized.url(), "m")));
  EXPECT_EQ(code, kExitRuntime);
  EXPECT_NE(what.find("HTTP 401: Invalid API key"), std::string::npos) << what;
  EXPECT_NE(what.find("$BHASA_TEST_NO_SUCH_KEY"), std::string::npos) << what;

  FaultServer loading = ModelsServer(503, R"({"error":{"message":"Loading model"}})");
  std::tie(code, what) = CapabilitiesError(*MakeBackend("openai", Options(loading.url(), "m")));
  EXPECT_EQ(code, kExitRuntime);
  EXPECT_NE(what.find("HTTP 503: Loading model"), std::string::npos) << what;
}

TEST(OpenAiCapabilities, OnlyTheBaseTemplateIsRenderedClientSide) {
  BackendOptions o = Options("http://127.0.0.1:9", "m");
  o.values["chat_template"] = "seahelm-base";
  EXPECT_EQ(MakeBackend("openai", o)->Describe()["endpoint"], "completions (base template)");
  o.values["chat_template"] = "llama3";
  EXPECT_THROW(MakeBackend("openai", o), Error);
}

}  // namespace
}  // namespace bhasa::backends
