// The replay backend's answer files come from outside: a value of the wrong
// type is an input error naming the file, line and field, never nlohmann's
// own message.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "backends/backend.h"
#include "common/error.h"
#include "tests/test_support.h"

namespace bhasa {
namespace {

// The message MakeBackend("replay") gives for an answers file of one line.
std::string LoadError(const std::string& line, std::string* path) {
  *path = testing::TempDir("replay-answers") + "/answers.jsonl";
  std::ofstream(*path) << "{\"id\": \"ok\", \"text\": \"fine\"}\n" << line << "\n";
  BackendOptions options;
  options.values["file"] = *path;
  try {
    MakeBackend("replay", options);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    return e.what();
  }
  return "";
}

TEST(ReplayAnswers, WrongTypedFieldsNameFileLineAndField) {
  struct Case {
    const char* line;
    const char* field;
  };
  const Case cases[] = {
      {R"({"id": "a", "text": "x", "finish_reason": 7})", "field 'finish_reason' must be a string"},
      {R"({"request_id": 5, "hash": "h", "response": {"request_id": "a", "text": 3}})",
       "response: field 'text' must be a string"},
      {R"({"response": {"request_id": "a", "prompt_tokens": "many"}})", "field 'prompt_tokens' must be an integer"},
      {R"({"response": {"text": "no id"}})", "field 'request_id' is missing"},
      {R"({"request_id": 5, "response": {"request_id": "a"}})", "field 'request_id' must be a string"},
  };
  for (const Case& c : cases) {
    std::string path;
    const std::string msg = LoadError(c.line, &path);
    EXPECT_EQ(msg.rfind(path + ":2: ", 0), 0u) << c.line << " -> " << msg;
    EXPECT_NE(msg.find(c.field), std::string::npos) << c.line << " -> " << msg;
    EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace bhasa
