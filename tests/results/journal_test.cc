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

}  // namespace
}  // namespace bhasa::results
