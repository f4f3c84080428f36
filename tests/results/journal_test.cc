#include "results/journal.h"

#include <fstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs.h"
#include "tests/test_support.h"

namespace bhasa::results {
namespace {

Request MakeRequest(const std::string& id, const std::string& text) {
  Request r;
  r.id = id;
  r.messages = {{"user", text}};
  return r;
}

Response Ok(const std::string& id, const std::string& text) {
  Response r;
  r.request_id = id;
  r.text = text;
  r.finish_reason = "stop";
  return r;
}

TEST(Journal, ReloadsResponsesByIdAndContentHash) {
  auto dir = testing::TempDir("journal");
  auto path = dir + "/responses.jsonl";
  auto a = MakeRequest("t/id/1/t1", "hello");
  {
    Journal j(path);
    j.Record(a, Ok(a.id, "Jawaban: Positif"));
  }
  Journal j(path);
  ASSERT_NE(j.Find(a), nullptr);
  EXPECT_EQ(j.Find(a)->text, "Jawaban: Positif");
  // Same id, different prompt: the stored answer is stale and is not reused.
  EXPECT_EQ(j.Find(MakeRequest("t/id/1/t1", "changed")), nullptr);
}

TEST(Journal, FailedResponsesAreNotReusedAndLaterAnswersWin) {
  auto dir = testing::TempDir("journal");
  auto path = dir + "/responses.jsonl";
  auto a = MakeRequest("x", "q");
  {
    Journal j(path);
    Response bad = Ok("x", "");
    bad.status = ResponseStatus::kFailed;
    bad.error = "timeout";
    j.Record(a, bad);
  }
  {
    Journal j(path);
    EXPECT_EQ(j.Find(a), nullptr);
    j.Record(a, Ok("x", "fine"));
  }
  Journal j(path);
  ASSERT_NE(j.Find(a), nullptr);
  EXPECT_EQ(j.Find(a)->text, "fine");
}

TEST(Journal, TornLastLineIsCutAndResumeContinues) {
  auto dir = testing::TempDir("journal");
  auto path = dir + "/responses.jsonl";
  auto a = MakeRequest("a", "q1"), b = MakeRequest("b", "q2");
  {
    Journal j(path);
    j.Record(a, Ok("a", "one"));
  }
  std::ofstream(path, std::ios::app) << "{\"request_id\":\"b\",\"hash\":\"";  // crash mid-write
  {
    Journal j(path);
    EXPECT_TRUE(j.had_torn_tail());
    EXPECT_NE(j.Find(a), nullptr);
    EXPECT_EQ(j.Find(b), nullptr);
    j.Record(b, Ok("b", "two"));
  }
  Journal j(path);
  EXPECT_FALSE(j.had_torn_tail());
  EXPECT_EQ(j.size(), 2u);
  EXPECT_EQ(j.Find(b)->text, "two");
}

TEST(Journal, MalformedMiddleLineIsAnErrorNamingTheLine) {
  auto dir = testing::TempDir("journal");
  auto path = dir + "/responses.jsonl";
  std::ofstream(path) << "{\"request_id\":\"a\"}\n{\"response\":{\"request_id\":\"b\"}}\n";
  try {
    Journal j(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("responses.jsonl:1"), std::string::npos) << e.what();
  }
}

// Damage before the last line is not a crash's doing: the journal is refused
// with the file, the line and what to do, and is left as it was, so no
// answer is silently dropped or asked twice.
TEST(Journal, DamageBeforeTheLastLineIsRefusedAndLeftAlone) {
  auto dir = testing::TempDir("journal");
  auto path = dir + "/responses.jsonl";
  {
    Journal j(path);
    for (const char* id : {"a", "b", "c"}) j.Record(MakeRequest(id, id), Ok(id, std::string("answer ") + id));
  }
  const std::string valid = ReadFile(path);
  const size_t line2 = valid.find('\n') + 1, line3 = valid.find('\n', line2) + 1;
  const std::string second = valid.substr(line2, line3 - line2 - 1);
  const std::string damaged[] = {
      valid.substr(0, line2) + second.substr(0, second.size() / 2) + "\n" + valid.substr(line3),  // cut short
      valid.substr(0, line2) + second.substr(0, second.size() / 2) + valid.substr(line3),  // glued to the next
      valid.substr(0, line2) + std::string(second.size(), '\0') + "\n" + valid.substr(line3),  // zeroed block
      valid.substr(0, line2) + "[1, 2]\n" + valid.substr(line3),                                  // not an object
      valid.substr(0, line2) + R"({"request_id":"b","response":{"request_id":7}})" "\n" + valid.substr(line3),
      valid + second.substr(0, 10) + "\n",  // a bad last line that did end with its newline
  };
  for (const std::string& content : damaged) {
    WriteFileAtomic(path, content);
    try {
      Journal j(path);
      ADD_FAILURE() << "accepted:\n" << content;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(e.exit_code(), 2);
      EXPECT_TRUE(msg.starts_with(path + ":2: ") || msg.starts_with(path + ":4: ")) << msg;
      EXPECT_NE(msg.find("damaged before its last line"), std::string::npos) << msg;
      EXPECT_NE(msg.find("delete that line"), std::string::npos) << msg;
    }
    EXPECT_EQ(ReadFile(path), content);
  }
}

// A field of the wrong type names the line and the field; an unknown status
// names the line too (it used to reach the user without it).
TEST(Journal, WrongTypedFieldNamesLineAndField) {
  auto dir = testing::TempDir("journal");
  auto path = dir + "/responses.jsonl";
  const std::pair<const char*, const char*> cases[] = {
      {R"({"request_id":"a","hash":"h","response":{"request_id":"a","text":["x"]}})", "field 'text' must be a string"},
      {R"({"request_id":"a","hash":7,"response":{"request_id":"a"}})", "field 'hash' must be a string"},
      {R"({"request_id":"a","response":{"request_id":"a","status":"maybe"}})", "unknown response status 'maybe'"},
  };
  for (const auto& [line, problem] : cases) {
    WriteFileAtomic(path, std::string(line) + "\n" + R"({"request_id":"b","response":{"request_id":"b"}})" + "\n");
    try {
      Journal j(path);
      ADD_FAILURE() << "accepted: " << line;
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_TRUE(msg.starts_with(path + ":1: malformed journal entry: ")) << msg;
      EXPECT_NE(msg.find(problem), std::string::npos) << msg;
      EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;
    }
  }
}

TEST(Journal, RepeatedLineKeepsOneAnswerPerRequest) {
  auto dir = testing::TempDir("journal");
  auto path = dir + "/responses.jsonl";
  auto a = MakeRequest("a", "q");
  {
    Journal j(path);
    j.Record(a, Ok("a", "one"));
  }
  const std::string line = ReadFile(path);
  std::ofstream(path, std::ios::app) << line;
  Journal j(path);
  EXPECT_EQ(j.size(), 1u);
  EXPECT_EQ(j.Find(a)->text, "one");
}

}  // namespace
}  // namespace bhasa::results
