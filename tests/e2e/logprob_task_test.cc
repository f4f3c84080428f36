// A log-likelihood task end to end: `bhasa run` through the built-in engine
// and through `bhasa serve` with the openai backend (vLLM-style
// prompt_logprobs) gives the same value for every row, and a replay of the
// first run's journal gives them again. The task is written here so that its
// prompt does not name the answer tag: a first run finds a character the
// random model prints, which then becomes the tag, so that rows reach the
// log-probability round.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/jsonl.h"
#include "tests/e2e/tiny_model.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

namespace fs = std::filesystem;
using testing::BhasaBinary;
using testing::RunCommand;

void WriteTask(const std::string& dir, const std::string& tag) {
  fs::create_directories(dir + "/tasks");
  std::ofstream(dir + "/tasks/probe.yaml") << R"(probe-logprobs:
  family: sentiment
  scorer: logprobs
  metric: average_cumulative_probabilities
  use_logprobs: true
  max_n_runs: 1
  competency: nlu
  languages:
    id:
      max_tokens: 16
      labels: [Positif, Negatif]
      prompt_template:
        preamble: "Tentukan sentimen kalimat ini."
        task_template: "Kalimat: {text}"
        answer_template: "{answer_tag} {label}"
        answer_tag: ")" + tag + R"("
)";
  fs::create_directories(dir + "/data/probe-logprobs/id");
  std::ofstream rows(dir + "/data/probe-logprobs/id/test.jsonl");
  const char* texts[] = {"Makanannya enak sekali.", "Paketnya terlambat seminggu.", "Pelayannya ramah.",
                         "Kamarnya kotor dan bau.", "Harganya murah dan barangnya bagus."};
  for (int i = 0; i < 5; ++i)
    rows << nlohmann::json({{"id", "r" + std::to_string(i)}, {"label", i % 2 ? "Negatif" : "Positif"},
                            {"prompts", {{{"text", texts[i]}}}}})
                .dump()
         << "\n";
}

std::string RunArgs(const std::string& dir, const std::string& out) {
  return " --tasks-dir " + dir + "/tasks --data-dir " + dir + "/data --tasks probe-logprobs --languages id"
         " --model-name tiny --output " + dir + "/" + out;
}

// Row id → cumulative log-probability (null for skipped rows) of a run.
std::map<std::string, nlohmann::json> Values(const std::string& run_dir) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& e : fs::recursive_directory_iterator(run_dir + "/inferences"))
    if (e.path().extension() == ".jsonl")
      for (const auto& row : ReadJsonlAll(e.path().string()))
        out[row["id"].get<std::string>()] = row["cumulative_logprobs"][0];
  return out;
}

TEST(LogprobTask, NativeServeAndReplayGiveTheSameValues) {
  const std::string dir = testing::TempDir("logprob-task");
  const std::string model = testing::TinyModel();
  std::string log;

  // 1. A tag the model never prints: every row stops at max_tokens; pick a
  //    letter or digit it does print.
  WriteTask(dir, "@@never@@");
  ASSERT_EQ(RunCommand(BhasaBinary() + " run --backend native --model " + model + RunArgs(dir, "probe"), &log), 0)
      << log;
  std::string tag;
  for (const auto& j : ReadJsonlAll(dir + "/probe/tiny/run_0/responses.jsonl"))
    for (char c : j["response"]["text"].get<std::string>())
      if (tag.empty() && std::isalnum(static_cast<unsigned char>(c))) tag = std::string(1, c);
  if (tag.empty()) GTEST_SKIP() << "the random model printed no letter or digit";
  WriteTask(dir, tag);

  // 2. Through the engine.
  ASSERT_EQ(RunCommand(BhasaBinary() + " run --backend native --model " + model + RunArgs(dir, "native"), &log), 0)
      << log;
  const auto native = Values(dir + "/native/tiny/run_0");
  ASSERT_EQ(native.size(), 5u);
  int scored = 0;
  for (const auto& [id, v] : native) scored += v.is_number();
  ASSERT_GT(scored, 0) << "no row reached the log-probability round with tag '" << tag << "'";
  const auto results = nlohmann::json::parse(ReadFile(dir + "/native/tiny/run_0/results.json"));
  EXPECT_TRUE(results.dump().find("average_cumulative_probabilities") != std::string::npos);

  // 3. Through bhasa serve and the openai backend.
  const std::string serve_log = dir + "/serve.log", pid_file = dir + "/serve.pid";
  RunCommand("(timeout 180 " + BhasaBinary() + " serve --model " + model + " --port 0 --model-name tiny > " +
             serve_log + " 2>&1 & echo $! > " + pid_file + ")");
  int port = 0;
  for (int i = 0; i < 100 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::smatch m;
    const std::string text = FileExists(serve_log) ? ReadFile(serve_log) : "";
    if (std::regex_search(text, m, std::regex("127\\.0\\.0\\.1:([0-9]+)"))) port = std::stoi(m[1]);
  }
  ASSERT_NE(port, 0) << "bhasa serve did not start: " << (FileExists(serve_log) ? ReadFile(serve_log) : "");
  const std::string openai = BhasaBinary() + " run --backend openai --url http://127.0.0.1:" + std::to_string(port) +
                             " --model tiny";
  const int rc = RunCommand(openai + RunArgs(dir, "server"), &log);
  // 3b. Completions (SEA-HELM's base template rendered here), asked both ways: vLLM's prompt_logprobs
  //     and OpenAI's echo + logprobs must give the same values.
  std::string log_vllm, log_echo;
  const int rc_vllm = RunCommand(openai + " --chat-template base --prompt-logprobs vllm" + RunArgs(dir, "base-vllm"),
                                 &log_vllm);
  const int rc_echo = RunCommand(openai + " --chat-template base --prompt-logprobs echo" + RunArgs(dir, "base-echo"),
                                 &log_echo);
  RunCommand("kill $(cat " + pid_file + ")");
  ASSERT_EQ(rc, 0) << log;
  ASSERT_EQ(rc_vllm, 0) << log_vllm;
  ASSERT_EQ(rc_echo, 0) << log_echo;
  const auto by_vllm = Values(dir + "/base-vllm/tiny/run_0"), by_echo = Values(dir + "/base-echo/tiny/run_0");
  ASSERT_EQ(by_echo.size(), by_vllm.size());
  int echoed = 0;
  for (const auto& [id, v] : by_vllm) {
    ASSERT_EQ(by_echo.at(id).is_number(), v.is_number()) << id;
    if (!v.is_number()) continue;
    ++echoed;
    EXPECT_NEAR(by_echo.at(id).get<double>(), v.get<double>(), 1e-5) << id;
  }
  EXPECT_GT(echoed, 0) << "no row of the base runs reached the log-probability round";
  const auto served = Values(dir + "/server/tiny/run_0");
  ASSERT_EQ(served.size(), native.size());
  for (const auto& [id, v] : native) {
    ASSERT_EQ(served.at(id).is_number(), v.is_number()) << id;
    if (v.is_number()) {
      EXPECT_NEAR(served.at(id).get<double>(), v.get<double>(), 1e-5) << id;
    }
  }

  // 4. Replayed from the engine run's journal.
  ASSERT_EQ(RunCommand(BhasaBinary() + " run --backend replay --replay " + dir + "/native/tiny/run_0/responses.jsonl" +
                           RunArgs(dir, "replayed"),
                       &log),
            0)
      << log;
  EXPECT_EQ(Values(dir + "/replayed/tiny/run_0"), native);

  // 5. max_n_runs: 1 leaves the task out of run 1.
  EXPECT_NE(RunCommand(BhasaBinary() + " run --backend native --model " + model + " --run 1" + RunArgs(dir, "native"),
                       &log),
            0);
  EXPECT_NE(log.find("max_n_runs"), std::string::npos) << log;
}

}  // namespace
}  // namespace bhasa
