// Log-probabilities in `bhasa serve`'s replies: the request fields and their
// 400s, and the OpenAI chat and legacy completions shapes and vLLM's
// prompt_logprobs built from a hand-made Response.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/openai_server_logprobs.h"

namespace bhasa::backends {
namespace {

using nlohmann::json;

// The ApiError a body gets, or a failure when it is accepted.
ApiError Refusal(const json& body, bool chat, bool stream = false) {
  Request r;
  try {
    ReadLogprobFields(body, chat, stream, &r);
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "accepted: " << body.dump();
  return ApiError(200, "");
}

TEST(ServeLogprobFields, AskTheBackendForWhatTheRepliesNeed) {
  Request r;
  auto f = ReadLogprobFields({{"logprobs", true}, {"top_logprobs", 3}}, true, false, &r);
  EXPECT_TRUE(f.tokens);
  EXPECT_EQ(f.top, 3);
  EXPECT_TRUE(r.params.token_logprobs);
  EXPECT_EQ(r.params.logprobs, 3);
  EXPECT_EQ(r.params.prompt_logprobs, -1);

  Request c;
  f = ReadLogprobFields({{"logprobs", 0}, {"echo", true}}, false, false, &c);
  EXPECT_TRUE(f.tokens && f.echo && f.WholeTextInOneChunk());
  EXPECT_TRUE(c.params.token_logprobs);
  EXPECT_EQ(c.params.prompt_logprobs, 0);  // echoed tokens need the prompt's

  Request e;
  f = ReadLogprobFields({{"echo", true}}, false, false, &e);  // echo alone: text only
  EXPECT_EQ(e.params.prompt_logprobs, -1);
  EXPECT_FALSE(e.params.WantsTokenLogprobs());

  Request v;
  f = ReadLogprobFields({{"prompt_logprobs", 2}, {"logprobs", nullptr}}, true, false, &v);
  EXPECT_FALSE(f.tokens);
  EXPECT_EQ(v.params.prompt_logprobs, 2);
}

TEST(ServeLogprobFields, BadValuesAre400NamingTheField) {
  EXPECT_EQ(Refusal({{"top_logprobs", 2}}, true).param(), "top_logprobs");  // without logprobs
  EXPECT_EQ(Refusal({{"logprobs", true}, {"top_logprobs", 21}}, true).param(), "top_logprobs");
  EXPECT_EQ(Refusal({{"logprobs", 1}}, true).param(), "logprobs");        // chat: a boolean
  EXPECT_EQ(Refusal({{"logprobs", true}}, false).param(), "logprobs");    // completions: a count
  EXPECT_EQ(Refusal({{"logprobs", -1}}, false).param(), "logprobs");
  EXPECT_EQ(Refusal({{"echo", "yes"}}, false).param(), "echo");
  EXPECT_EQ(Refusal({{"prompt_logprobs", 1}}, false, /*stream=*/true).param(), "prompt_logprobs");
  const ApiError e = Refusal({{"logprobs", 2.5}}, false);
  EXPECT_EQ(e.status(), 400);
  EXPECT_EQ(e.Body()["error"]["code"], "invalid_type");
}

// Two prompt tokens ("<s>" a control token, then "Ha") and two generated ("lo", "!").
Response HandMade() {
  Response r;
  r.text = "lo!";
  auto entry = [](const std::string& token, int id, json logprob, json top) {
    json bytes = json::array();
    for (unsigned char c : token) bytes.push_back(c);
    json e = {{"token", token}, {"id", id}, {"logprob", logprob}, {"bytes", bytes}, {"rank", 2}, {"top_logprobs", top}};
    return e;
  };
  auto alt = [](const std::string& token, int id, double logprob) {
    return json{{"token", token}, {"id", id}, {"logprob", logprob}, {"bytes", json::array()}};
  };
  json bos = entry("<s>", 1, nullptr, json::array());
  bos["special"] = true;
  r.logprobs = {{"prompt", {bos, entry("Ha", 7, -2.5, {alt("He", 8, -0.5), alt("Ha", 7, -2.5)})}},
                {"content", {entry("lo", 9, -0.25, {alt("lo", 9, -0.25), alt("la", 10, -1.75)}),
                             entry("!", 3, -1.0, {alt("!", 3, -1.0), alt(".", 4, -1.5)})}}};
  return r;
}

json Reply(bool chat) {
  json choice = {{"index", 0}, {"finish_reason", "stop"}};
  if (chat) choice["message"] = {{"role", "assistant"}, {"content", "lo!"}};
  else choice["text"] = "lo!";
  return {{"id", "x"}, {"choices", {choice}}};
}

TEST(ServeLogprobReplies, ChatContentWithTopAlternatives) {
  LogprobFields f;
  f.tokens = true;
  f.top = 1;
  f.prompt = 1;
  json reply = Reply(true);
  AddLogprobs(reply, f, HandMade(), "");
  const json& content = reply["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0], json({{"token", "lo"}, {"logprob", -0.25}, {"bytes", {108, 111}},
                              {"top_logprobs", {{{"token", "lo"}, {"logprob", -0.25}, {"bytes", json::array()}}}}}));
  EXPECT_EQ(content[1]["top_logprobs"].size(), 1u);
  // vLLM's prompt_logprobs sit on the body for chat: the token and the best alternative.
  EXPECT_EQ(reply["prompt_logprobs"],
            json::parse(R"([null, {"8": {"logprob": -0.5, "rank": 1, "decoded_token": "He"},
                                    "7": {"logprob": -2.5, "rank": 2, "decoded_token": "Ha"}}])"));

  json plain = Reply(true);
  AddLogprobs(plain, LogprobFields{}, Response{}, "");
  EXPECT_TRUE(plain["choices"][0]["logprobs"].is_null());
  EXPECT_FALSE(plain.contains("prompt_logprobs"));
}

TEST(ServeLogprobReplies, LegacyCompletionsWithEcho) {
  LogprobFields f;
  f.chat = false;
  f.tokens = true;
  f.top = 1;
  f.echo = true;
  json reply = Reply(false);
  AddLogprobs(reply, f, HandMade(), "Ha");
  const json& choice = reply["choices"][0];
  EXPECT_EQ(choice["text"], "Halo!");
  EXPECT_EQ(choice["logprobs"], json::parse(R"({
      "tokens": ["<s>", "Ha", "lo", "!"],
      "token_logprobs": [null, -2.5, -0.25, -1.0],
      "top_logprobs": [null, {"He": -0.5}, {"lo": -0.25}, {"!": -1.0}],
      "text_offset": [0, 0, 2, 4]})"));
  EXPECT_FALSE(choice.contains("prompt_logprobs"));

  f.echo = false;
  f.prompt = 0;
  reply = Reply(false);
  AddLogprobs(reply, f, HandMade(), "Ha");
  EXPECT_EQ(reply["choices"][0]["text"], "lo!");
  EXPECT_EQ(reply["choices"][0]["logprobs"]["tokens"], json({"lo", "!"}));
  EXPECT_EQ(reply["choices"][0]["logprobs"]["text_offset"], json({0, 2}));
  EXPECT_EQ(reply["choices"][0]["prompt_logprobs"],
            json::parse(R"([null, {"7": {"logprob": -2.5, "rank": 2, "decoded_token": "Ha"}}])"));
}

}  // namespace
}  // namespace bhasa::backends
