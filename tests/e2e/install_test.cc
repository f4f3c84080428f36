// `cmake --install` into a temporary prefix: the installed bhasa finds its
// tasks and sample data beside itself (<prefix>/share/bhasa), not in the
// source tree it was built from; a lone copy of the binary needs $BHASA_HOME.
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "tests/e2e/tiny_model.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

namespace fs = std::filesystem;
using testing::RunCommand;

class Installed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    prefix_ = new std::string(testing::TempDir("install") + "/prefix");
    const std::string build = fs::path(testing::BhasaBinary()).parent_path().string();
    std::string log;
    ASSERT_EQ(RunCommand("cmake --install " + build + " --prefix " + *prefix_, &log), 0) << log;
  }
  static void TearDownTestSuite() { delete prefix_; }
  // Runs the installed binary from / with BHASA_HOME unset.
  static int Bhasa(const std::string& args, std::string* out, const std::string& binary = "") {
    return RunCommand("cd / && env -u BHASA_HOME " + (binary.empty() ? *prefix_ + "/bin/bhasa" : binary) + " " + args,
                      out);
  }
  static std::string* prefix_;
};
std::string* Installed::prefix_ = nullptr;

TEST_F(Installed, LaysOutBinaryTasksAndSamples) {
  EXPECT_TRUE(fs::exists(*prefix_ + "/bin/bhasa"));
  EXPECT_TRUE(fs::exists(*prefix_ + "/share/bhasa/tasks/sentiment.yaml"));
  EXPECT_TRUE(fs::exists(*prefix_ + "/share/bhasa/tasks/task_config.yaml"));
  EXPECT_FALSE(fs::exists(*prefix_ + "/share/bhasa/tasks/prompt_task.cc"));
  EXPECT_TRUE(fs::exists(*prefix_ + "/share/bhasa/data/samples/sentiment/id/test.jsonl"));
}

// The first string in `bytes` that starts with `dir` and is not the name of a
// source file (a sanitized build embeds those for its reports), or "".
std::string DirectoryNamed(const std::string& bytes, const std::string& dir) {
  for (size_t at = bytes.find(dir); at != std::string::npos; at = bytes.find(dir, at + 1)) {
    const std::string s = bytes.substr(at, bytes.find('\0', at) - at);
    if (!s.ends_with(".cc") && !s.ends_with(".h")) return s;
  }
  return "";
}

TEST_F(Installed, BinaryDoesNotNameTheSourceTree) {
  // Debug line tables (the sanitized build's -g1) list the source folders; only
  // what the program itself can read counts.
  const std::string stripped = testing::TempDir("install-strip") + "/bhasa";
  std::string log;
  ASSERT_EQ(RunCommand("objcopy --strip-debug " + *prefix_ + "/bin/bhasa " + stripped, &log), 0) << log;
  std::ifstream in(stripped, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(DirectoryNamed(bytes, testing::SourceDir() + "/tasks"), "");
  EXPECT_EQ(DirectoryNamed(bytes, testing::SourceDir() + "/data"), "");
}

TEST(InstalledBinaryScan, FindsADirectoryButNotASourceFileName) {
  using namespace std::string_literals;
  EXPECT_EQ(DirectoryNamed("x\0/src/tasks/prompt_task.cc\0/src/tasks/a.h\0y"s, "/src/tasks"), "");
  EXPECT_EQ(DirectoryNamed("x\0/src/tasks/a.cc\0/src/tasks\0y"s, "/src/tasks"), "/src/tasks");
  EXPECT_EQ(DirectoryNamed("/src/tasks/task_config.yaml"s, "/src/tasks"), "/src/tasks/task_config.yaml");
}

TEST_F(Installed, ListsTasksAndRunsFromThePrefix) {
  std::string out;
  ASSERT_EQ(Bhasa("tasks", &out), 0) << out;
  EXPECT_NE(out.find("sentiment"), std::string::npos) << out;

  const std::string runs = testing::TempDir("install-run");
  ASSERT_EQ(Bhasa("run --model " + testing::TinyModel() + " --tasks sentiment --languages id --limit 1 --threads 1" +
                      " --output " + runs,
                  &out),
            0)
      << out;
  const auto doc = nlohmann::json::parse(ReadFile(runs + "/tiny-Q8_0/run_0/results.json"));
  EXPECT_EQ(fs::path(doc["meta"]["run"]["tasks_dir"]), fs::path(*prefix_ + "/share/bhasa/tasks"));
  EXPECT_EQ(fs::path(doc["meta"]["data"]["dir"]), fs::path(*prefix_ + "/share/bhasa/data/samples"));
  EXPECT_EQ(doc["meta"]["data"]["bundled_samples"], true);
}

// The CUDA code is a module: a command that does not ask for --device cuda
// never loads it or the CUDA libraries, and one that does finds it in the
// prefix (a GPU-less machine then gets the CUDA runtime's own reason).
TEST_F(Installed, CudaModuleLoadsOnlyForDeviceCuda) {
  const std::string input = testing::TempDir("install-cuda") + "/rows.jsonl";
  std::ofstream(input) << R"({"id": "1", "response": "Jawaban: Positif", "label": "Positif"})" "\n";
  std::string out;
  ASSERT_EQ(Bhasa("metric classification --answer-tag Jawaban: --input " + input, &out), 0) << out;
  ASSERT_EQ(RunCommand("cd / && env -u BHASA_HOME LD_DEBUG=files " + *prefix_ +
                           "/bin/bhasa metric classification --answer-tag Jawaban: --input " + input,
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("libc.so"), std::string::npos) << "LD_DEBUG printed nothing: " << out;
  for (const char* lib : {"libbhasa_cuda", "libcudart", "libcublas"})
    EXPECT_EQ(out.find(lib), std::string::npos) << lib << " loaded without --device cuda";

  const bool built_with_cuda = fs::exists(fs::path(testing::BhasaBinary()).parent_path() / "libbhasa_cuda.so");
  Bhasa("generate " + testing::TinyModel() + " --text hi --max-tokens 1 --device cuda", &out);
  if (built_with_cuda) {
    EXPECT_EQ(out.find("is missing"), std::string::npos) << out;
  } else {
    EXPECT_NE(out.find("built without CUDA"), std::string::npos) << out;
  }
}

TEST_F(Installed, ALoneBinaryUsesBhasaHome) {
  const std::string lone = testing::TempDir("install-lone") + "/bhasa";
  fs::copy_file(*prefix_ + "/bin/bhasa", lone);
  fs::permissions(lone, fs::perms::owner_all);
  std::string out;
  EXPECT_EQ(Bhasa("tasks", &out, lone), 2) << out;
  EXPECT_NE(out.find("BHASA_HOME"), std::string::npos) << out;
  EXPECT_EQ(RunCommand("cd / && BHASA_HOME=" + *prefix_ + "/share/bhasa " + lone + " tasks", &out), 0) << out;
  EXPECT_NE(out.find("sentiment"), std::string::npos) << out;
}

}  // namespace
}  // namespace bhasa
