// `bhasa serve` as an operator starts it: the refusal to expose a server
// without a key, the key from $BHASA_API_KEY, the limit flags, and the access
// log written to --access-log FILE.
#include <algorithm>
#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <gtest/gtest.h>

#include "common/fs.h"
#include "tests/e2e/tiny_model.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

using testing::BhasaBinary;
using testing::RunCommand;
namespace asio = boost::asio;
namespace http = boost::beast::http;

TEST(ServeOps, NonLoopbackWithoutKeyIsRefusedUnlessAllowed) {
  std::string out;
  EXPECT_EQ(RunCommand(BhasaBinary() + " serve --model /nonexistent.gguf --host 0.0.0.0", &out), 2) << out;
  EXPECT_NE(out.find("--allow-unauthenticated"), std::string::npos) << out;
  EXPECT_NE(out.find("--api-key"), std::string::npos) << out;
  // Allowed, or with a key: it gets as far as loading the model.
  for (const std::string how : {" --allow-unauthenticated", " --api-key k"}) {
    RunCommand(BhasaBinary() + " serve --model /nonexistent.gguf --host 0.0.0.0" + how, &out);
    EXPECT_EQ(out.find("refusing"), std::string::npos) << how << ": " << out;
    EXPECT_NE(out.find("nonexistent.gguf"), std::string::npos) << how << ": " << out;
  }
  EXPECT_EQ(RunCommand(BhasaBinary() + " serve --model /nonexistent.gguf --host localhost", &out), 2);
  EXPECT_NE(out.find("IP address"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(BhasaBinary() + " serve --model /nonexistent.gguf --max-queue 0", &out), 2);
  EXPECT_NE(out.find("--max-queue must be at least 1"), std::string::npos) << out;
}

int Status(int port, const std::string& auth) {
  asio::io_context io;
  asio::ip::tcp::socket sock(io);
  sock.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  http::request<http::empty_body> req{http::verb::get, "/v1/models", 11};
  req.set(http::field::host, "127.0.0.1");
  if (!auth.empty()) req.set(http::field::authorization, auth);
  http::write(sock, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(sock, buf, res);
  return res.result_int();
}

TEST(ServeOps, KeyFromTheEnvironmentAndAccessLogFile) {
  const std::string model = testing::TinyModel();
  const std::string dir = testing::TempDir("serve-ops");
  const std::string log = dir + "/serve.log", access = dir + "/access.log", pid = dir + "/pid";
  // On all interfaces: allowed because the key is set. Bounded by `timeout`.
  RunCommand("(BHASA_API_KEY=sk-env-kunci timeout 60 " + BhasaBinary() + " serve --model " + model +
             " --host 0.0.0.0 --port 0 --access-log " + access + " --max-connections 8 --read-timeout 5 > " + log +
             " 2>&1 & echo $! > " + pid + ")");
  int port = 0;
  for (int i = 0; i < 100 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::smatch m;
    const std::string text = FileExists(log) ? ReadFile(log) : "";
    if (std::regex_search(text, m, std::regex("0\\.0\\.0\\.0:([0-9]+)"))) port = std::stoi(m[1]);
  }
  ASSERT_NE(port, 0) << "bhasa serve did not start: " << (FileExists(log) ? ReadFile(log) : "");
  EXPECT_NE(ReadFile(log).find("API key required"), std::string::npos);
  EXPECT_EQ(Status(port, ""), 401);
  EXPECT_EQ(Status(port, "Bearer wrong"), 401);
  EXPECT_EQ(Status(port, "Bearer sk-env-kunci"), 200);
  RunCommand("kill $(cat " + pid + ")");
  const std::string lines = ReadFile(access);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 3) << lines;
  EXPECT_NE(lines.find("\"GET /v1/models\" 401"), std::string::npos) << lines;
  EXPECT_NE(lines.find("\"GET /v1/models\" 200"), std::string::npos) << lines;
  EXPECT_EQ(lines.find("sk-env"), std::string::npos) << lines;
  EXPECT_EQ(ReadFile(log).find("/v1/models\""), std::string::npos) << "access lines went to the file, not stderr";
}

}  // namespace
}  // namespace bhasa
