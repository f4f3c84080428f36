#include "backends/openai_wire.h"

#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace bhasa::backends {
namespace {

using nlohmann::json;

Request ChatRequest() {
  Request r;
  r.id = "qa/id/row-1";
  r.messages = {{"system", "Be brief."}, {"user", "Apa ibu kota Indonesia?"}};
  return r;
}

TEST(OpenAiWireTest, ChatBodySendsSamplingExplicitlyAndNoVllmOnlyFields) {
  Request r = ChatRequest();
  r.params.max_tokens = 32;
  r.params.seed = 25008113;
  OpenAiCall call = BuildOpenAiCall(r, "sea-lion");
  EXPECT_EQ(call.endpoint, OpenAiEndpoint::kChat);
  EXPECT_STREQ(EndpointPath(call.endpoint), "/chat/completions");
  json j = json::parse(call.body);
  EXPECT_EQ(j["model"], "sea-lion");
  EXPECT_EQ(j["max_tokens"], 32);
  EXPECT_EQ(j["seed"], 25008113);
  ASSERT_EQ(j["messages"].size(), 2u);
  EXPECT_EQ(j["messages"][1]["role"], "user");
  EXPECT_EQ(j["messages"][1]["content"], "Apa ibu kota Indonesia?");
  // Unset means greedy, as in the native engine: no server samples at its own default.
  EXPECT_EQ(j["temperature"], 0.0);
  EXPECT_EQ(j["top_p"], 1.0);
  EXPECT_FALSE(j.contains("top_k"));  // greedy without a cut: OpenAI's API rejects the field
  for (const char* absent : {"stop", "logprobs", "top_logprobs", "continue_final_message", "add_generation_prompt",
                             "include_stop_str_in_output"})
    EXPECT_FALSE(j.contains(absent)) << absent;
}

TEST(OpenAiWireTest, SamplingWithoutACutSendsTopKMinusOne) {
  Request r = ChatRequest();
  r.params.temperature = 0.7;
  json j = json::parse(BuildOpenAiCall(r, "").body);
  EXPECT_EQ(j["top_k"], -1);  // a server's own default cut (llama-server: 40) would change the answers
}

TEST(OpenAiWireTest, ChatBodyMapsEveryParameter) {
  Request r = ChatRequest();
  r.messages.push_back({"assistant", "Jawaban:"});
  r.continue_final_message = true;
  r.params.temperature = 0.0;
  r.params.top_p = 0.9;
  r.params.top_k = 50;
  r.params.stop = {"\n\n", "Jawaban:"};
  r.params.include_stop_str_in_output = true;
  r.params.logprobs = 5;
  json j = json::parse(BuildOpenAiCall(r, "").body);
  EXPECT_FALSE(j.contains("model"));
  EXPECT_EQ(j["temperature"], 0.0);
  EXPECT_EQ(j["top_p"], 0.9);
  EXPECT_EQ(j["top_k"], 50);
  EXPECT_EQ(j["stop"], json({"\n\n", "Jawaban:"}));
  EXPECT_FALSE(j.contains("include_stop_str_in_output"));  // re-attached on reply instead
  EXPECT_EQ(j["logprobs"], true);
  EXPECT_EQ(j["top_logprobs"], 5);
  EXPECT_EQ(j["continue_final_message"], true);
  EXPECT_EQ(j["add_generation_prompt"], false);
}

TEST(OpenAiWireTest, PromptGoesToCompletions) {
  Request r;
  r.id = "p";
  r.prompt = "Terjemahkan: hello";
  r.params.logprobs = 3;
  OpenAiCall call = BuildOpenAiCall(r, "m");
  EXPECT_EQ(call.endpoint, OpenAiEndpoint::kCompletions);
  EXPECT_STREQ(EndpointPath(call.endpoint), "/completions");
  json j = json::parse(call.body);
  EXPECT_EQ(j["prompt"], "Terjemahkan: hello");
  EXPECT_FALSE(j.contains("messages"));
  EXPECT_EQ(j["logprobs"], 3);
}

TEST(OpenAiWireTest, InvalidUtf8IsReplacedNotThrown) {
  Request r = ChatRequest();
  r.messages[1].content = std::string("bad \xff byte");
  json j = json::parse(BuildOpenAiCall(r, "m").body);
  EXPECT_EQ(j["messages"][1]["content"], "bad \xEF\xBF\xBD byte");
}

TEST(OpenAiWireTest, EmptyRequestThrowsWithId) {
  Request r;
  r.id = "empty/1";
  try {
    BuildOpenAiCall(r, "m");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("empty/1"), std::string::npos);
  }
}

TEST(OpenAiWireTest, ParsesChatReply) {
  const char* body = R"({"choices":[{"index":0,"message":{"role":"assistant","content":"Jakarta",
      "reasoning_content":"Ibu kota adalah..."},"finish_reason":"stop","logprobs":{"content":[]}}],
      "usage":{"prompt_tokens":17,"completion_tokens":2,"total_tokens":19}})";
  Response r;
  ASSERT_EQ(ParseOpenAiReply(OpenAiEndpoint::kChat, body, &r), "");
  EXPECT_EQ(r.status, ResponseStatus::kOk);
  EXPECT_EQ(r.text, "Jakarta");
  EXPECT_EQ(r.reasoning, "Ibu kota adalah...");
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.prompt_tokens, 17);
  EXPECT_EQ(r.completion_tokens, 2);
  EXPECT_EQ(r.logprobs, json({{"content", json::array()}}));
}

TEST(OpenAiWireTest, ParsesReasoningFieldAndNullContent) {
  Response r;
  ASSERT_EQ(ParseOpenAiReply(OpenAiEndpoint::kChat,
                             R"({"choices":[{"message":{"content":null,"reasoning":"thinking"},"finish_reason":"length"}]})",
                             &r),
            "");
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(r.reasoning, "thinking");
  EXPECT_EQ(r.finish_reason, "length");
  EXPECT_EQ(r.prompt_tokens, 0);
  EXPECT_TRUE(r.logprobs.is_null());
}

TEST(OpenAiWireTest, ParsesCompletionReplyAndRefusal) {
  Response r;
  ASSERT_EQ(ParseOpenAiReply(OpenAiEndpoint::kCompletions,
                             R"({"choices":[{"text":" positif","finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1}})",
                             &r),
            "");
  EXPECT_EQ(r.text, " positif");
  EXPECT_EQ(r.completion_tokens, 1);

  Response refused;
  ASSERT_EQ(ParseOpenAiReply(OpenAiEndpoint::kChat,
                             R"({"choices":[{"message":{"content":null,"refusal":"I can't help"},"finish_reason":"stop"}]})",
                             &refused),
            "");
  EXPECT_EQ(refused.status, ResponseStatus::kRefused);
  EXPECT_NE(refused.error.find("I can't help"), std::string::npos);
}

TEST(OpenAiWireTest, GarbageRepliesAreDescribed) {
  struct Case {
    OpenAiEndpoint endpoint;
    const char* body;
    const char* expect;
  };
  const Case cases[] = {
      {OpenAiEndpoint::kChat, "not json", "invalid JSON"},
      {OpenAiEndpoint::kChat, R"({"choices":[{"message":{"content":"trunc)", "invalid JSON"},
      {OpenAiEndpoint::kChat, "[1,2]", "not a JSON object"},
      {OpenAiEndpoint::kChat, "{}", "no choices[0]"},
      {OpenAiEndpoint::kChat, R"({"choices":[]})", "no choices[0]"},
      {OpenAiEndpoint::kChat, R"({"choices":[{"text":"x"}]})", "no choices[0].message"},
      {OpenAiEndpoint::kChat, R"({"choices":[{"message":{"content":5}}]})", "content is not a string"},
      {OpenAiEndpoint::kCompletions, R"({"choices":[{"message":{"content":"x"}}]})", "choices[0].text"},
      {OpenAiEndpoint::kChat, R"({"error":{"message":"model not loaded"}})", "model not loaded"},
  };
  for (const Case& c : cases) {
    Response r;
    const std::string problem = ParseOpenAiReply(c.endpoint, c.body, &r);
    EXPECT_NE(problem.find(c.expect), std::string::npos) << c.body << " -> " << problem;
  }
}

void Pointers(const json& j, const json::json_pointer& at, std::vector<json::json_pointer>* out) {
  out->push_back(at);
  if (j.is_object())
    for (const auto& [k, v] : j.items()) Pointers(v, at / k, out);
  if (j.is_array())
    for (size_t i = 0; i < j.size(); ++i) Pointers(j[i], at / i, out);
}

// 400 replies (chat and completions) with one value replaced by a value of
// another type: each is parsed or described, never thrown.
TEST(OpenAiWireTest, RepliesWithWrongTypedValuesNeverThrow) {
  const json chat = json::parse(R"({"id":"c","object":"chat.completion","choices":[{"index":0,"message":{
      "role":"assistant","content":"Jakarta","reasoning_content":"r","refusal":null},"finish_reason":"stop",
      "stop_reason":"\n","matched_stop":"\n","logprobs":null}],"usage":{"prompt_tokens":9,"completion_tokens":2}})");
  const json completion = json::parse(R"({"choices":[{"text":"Jakarta","finish_reason":"stop","stop_reason":null}],
      "usage":{"prompt_tokens":9,"completion_tokens":2}})");
  static const json kReplacements[] = {7, -1, 2.5, "x", true, nullptr, json::array({1}), json::object({{"a", 1}})};
  GenerationParams asked;
  asked.stop = {"\n"};
  asked.include_stop_str_in_output = true;
  std::mt19937 rng(18);
  for (int i = 0; i < 400; ++i) {
    const bool is_chat = i % 2 == 0;
    json reply = is_chat ? chat : completion;
    std::vector<json::json_pointer> at;
    Pointers(reply, json::json_pointer(), &at);
    const json::json_pointer where = at[rng() % at.size()];
    json replacement;
    do replacement = kReplacements[rng() % std::size(kReplacements)];
    while (replacement.type() == reply[where].type());
    reply[where] = replacement;
    Response r;
    EXPECT_NO_THROW(ParseOpenAiReply(is_chat ? OpenAiEndpoint::kChat : OpenAiEndpoint::kCompletions, reply.dump(), &r,
                                     &asked))
        << where << " -> " << replacement;
  }
}

TEST(OpenAiWireTest, ErrorBodySummary) {
  EXPECT_EQ(ErrorBodySummary(R"({"error":{"message":"Rate limit","type":"x"}})"), "Rate limit");
  EXPECT_EQ(ErrorBodySummary(R"({"error":"boom"})"), "boom");
  EXPECT_EQ(ErrorBodySummary(R"({"detail":"Not Found"})"), "Not Found");
  EXPECT_EQ(ErrorBodySummary("Bad\ngateway"), "Bad gateway");
  EXPECT_EQ(ErrorBodySummary(std::string(400, 'x')), std::string(300, 'x') + "...");
}

Request BaseRequest() {
  Request r;
  r.id = "sentiment/id/row-1/t1";
  r.messages = {{"user", "  Sentimen?\n\nTeks: bagus "}, {"assistant", "Jawaban: Positif"}, {"user", "Teks: buruk"}};
  r.params.stop = {"Jawaban:"};
  r.params.include_stop_str_in_output = true;
  return r;
}

TEST(OpenAiWireTest, BaseTemplateSendsTheRenderedPromptToCompletions) {
  Request r = BaseRequest();
  OpenAiCall call = BuildOpenAiCall(r, "m", MessageFormat::kBaseTemplate);
  EXPECT_EQ(call.endpoint, OpenAiEndpoint::kCompletions);
  json j = json::parse(call.body);
  // SEA-HELM's base template without BOS text (the server adds BOS to a prompt).
  EXPECT_EQ(j["prompt"], "Sentimen?\n\nTeks: bagus\n\nJawaban: Positif\n\nTeks: buruk\n\n");
  EXPECT_FALSE(j.contains("messages"));
  EXPECT_FALSE(j.contains("include_stop_str_in_output"));
  EXPECT_EQ(j["stop"], json({"Jawaban:"}));

  // Phase 2 continues the assistant's text: no trailing blank line, no vLLM-only fields.
  r.messages.push_back({"assistant", "Saya kira Jawaban:"});
  r.continue_final_message = true;
  j = json::parse(BuildOpenAiCall(r, "m", MessageFormat::kBaseTemplate).body);
  EXPECT_EQ(j["prompt"], "Sentimen?\n\nTeks: bagus\n\nJawaban: Positif\n\nTeks: buruk\n\nSaya kira Jawaban:");
  EXPECT_FALSE(j.contains("continue_final_message"));
  EXPECT_FALSE(j.contains("add_generation_prompt"));
}

std::string Completion(const std::string& text, const std::string& extra = "") {
  return R"({"choices":[{"text":)" + json(text).dump() + R"(,"finish_reason":"stop")" + extra + "}]}";
}

std::string ParsedText(const std::string& body, const GenerationParams& asked) {
  Response r;
  EXPECT_EQ(ParseOpenAiReply(OpenAiEndpoint::kCompletions, body, &r, &asked), "");
  return r.text;
}

TEST(OpenAiWireTest, StopStringIsReattachedWhenTheServerDropsIt) {
  GenerationParams asked = BaseRequest().params;
  // llama.cpp's server: names no stop, strips it.
  EXPECT_EQ(ParsedText(Completion("Saya kira "), asked), "Saya kira Jawaban:");
  // vLLM without include_stop_str_in_output: stop_reason names the string.
  EXPECT_EQ(ParsedText(Completion("Saya kira ", R"(,"stop_reason":"Jawaban:")"), asked), "Saya kira Jawaban:");
  // SGLang: matched_stop.
  EXPECT_EQ(ParsedText(Completion("x ", R"(,"matched_stop":"Jawaban:")"), asked), "x Jawaban:");
  // A server that kept it: nothing doubled.
  EXPECT_EQ(ParsedText(Completion("Saya kira Jawaban:"), asked), "Saya kira Jawaban:");
  // EOS or a stop token, as vLLM and SGLang report them: nothing appended.
  EXPECT_EQ(ParsedText(Completion("Selesai.", R"(,"stop_reason":null)"), asked), "Selesai.");
  EXPECT_EQ(ParsedText(Completion("Selesai.", R"(,"matched_stop":2)"), asked), "Selesai.");
  // Cut by max_tokens: no stop string was seen.
  Response cut;
  ASSERT_EQ(ParseOpenAiReply(OpenAiEndpoint::kCompletions,
                             R"({"choices":[{"text":"Saya kira","finish_reason":"length"}]})", &cut, &asked), "");
  EXPECT_EQ(cut.text, "Saya kira");
  // Not asked to keep it (phase 2), or several stops and none named: left alone.
  GenerationParams phase2;
  phase2.stop = {"\n\n"};
  EXPECT_EQ(ParsedText(Completion(" Positif"), phase2), " Positif");
  GenerationParams several = asked;
  several.stop = {"Jawaban:", "Answer:"};
  EXPECT_EQ(ParsedText(Completion("Saya kira "), several), "Saya kira ");
}

// OpenAI's legacy completions give prompt log-probabilities as an echo: the
// prompt's tokens come first in choices[0].logprobs and the text repeats it.
TEST(OpenAiWireTest, EchoedPromptLogprobsAreSplitFromTheCompletion) {
  Request r;
  r.id = "e";
  r.prompt = "Ya";
  r.params.max_tokens = 1;
  r.params.prompt_logprobs = 0;
  OpenAiCall call = BuildOpenAiCall(r, "m", MessageFormat::kServerTemplate, PromptLogprobsApi::kEcho);
  json body = json::parse(call.body);
  EXPECT_EQ(body["echo"], true);
  EXPECT_EQ(body["logprobs"], 1);
  EXPECT_FALSE(body.contains("prompt_logprobs")) << "not a field OpenAI's API knows";
  ASSERT_TRUE(call.echoed_prompt);

  const json reply = {{"choices", {{{"text", "Ya!"},
                                    {"finish_reason", "length"},
                                    {"logprobs", {{"tokens", {"Y", "a", "!"}},
                                                  {"token_logprobs", {nullptr, -0.5, -1.25}},
                                                  {"top_logprobs", {nullptr, {{"a", -0.5}}, {{"!", -1.25}}}},
                                                  {"text_offset", {0, 1, 2}}}}}}},
                      {"usage", {{"prompt_tokens", 2}, {"completion_tokens", 1}}}};
  Response out;
  ASSERT_EQ(ParseOpenAiReply(call.endpoint, reply.dump(), &out, &r.params, &call), "");
  EXPECT_EQ(out.text, "!");
  ASSERT_EQ(out.logprobs["prompt"].size(), 2u);
  EXPECT_TRUE(out.logprobs["prompt"][0]["logprob"].is_null());
  EXPECT_EQ(out.logprobs["prompt"][1]["logprob"], -0.5);
  EXPECT_EQ(out.logprobs["prompt"][1]["token"], "a");
  EXPECT_EQ(out.logprobs["token_logprobs"], json::array({-1.25}));
  EXPECT_EQ(out.logprobs["tokens"], json::array({"!"}));

  // What a server may get wrong is described, never thrown.
  json no_usage = reply;
  no_usage.erase("usage");
  EXPECT_NE(ParseOpenAiReply(call.endpoint, no_usage.dump(), &out, &r.params, &call).find("usage.prompt_tokens"),
            std::string::npos);
  json not_echoed = reply;
  not_echoed["choices"][0]["text"] = "!";
  EXPECT_NE(ParseOpenAiReply(call.endpoint, not_echoed.dump(), &out, &r.params, &call).find("does not begin"),
            std::string::npos);
  json too_few = reply;
  too_few["usage"]["prompt_tokens"] = 4;
  EXPECT_NE(ParseOpenAiReply(call.endpoint, too_few.dump(), &out, &r.params, &call).find("does not fit"),
            std::string::npos);

  // Chat has no echo.
  Request chat;
  chat.id = "c";
  chat.messages = {{"user", "Hai"}};
  chat.params.prompt_logprobs = 0;
  EXPECT_THROW(BuildOpenAiCall(chat, "m", MessageFormat::kServerTemplate, PromptLogprobsApi::kEcho), Error);
}

}  // namespace
}  // namespace bhasa::backends
