// Chat templates: exact renderings written out by hand from the Jinja
// templates they follow, detection from template texts, and errors.
#include "backends/native/chat_template.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "common/fs.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

const std::vector<Message> kChat = {
    {"user", "  Apa ibu kota Indonesia?\n"},
    {"assistant", "Jakarta."},
    {"user", "Dan Malaysia?"},
};

TEST(ChatTemplate, Llama3) {
  auto t = ChatTemplate::ByName("llama3");
  EXPECT_EQ(RenderChat(t, kChat, true, false, "<|begin_of_text|>"),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nApa ibu kota Indonesia?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nJakarta.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nDan Malaysia?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(RenderChat(t, {{"system", "S"}}, false, false, ""),
            "<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>");
}

TEST(ChatTemplate, Gemma) {
  auto t = ChatTemplate::ByName("gemma");
  EXPECT_EQ(RenderChat(t, kChat, true, false, "<bos>"),
            "<bos><start_of_turn>user\nApa ibu kota Indonesia?<end_of_turn>\n"
            "<start_of_turn>model\nJakarta.<end_of_turn>\n"
            "<start_of_turn>user\nDan Malaysia?<end_of_turn>\n<start_of_turn>model\n");
  EXPECT_EQ(RenderChat(t, {{"system", "Be brief."}, {"user", "Hi"}}, false, false, "<bos>"),
            "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n");
  EXPECT_THROW(RenderChat(t, {{"user", "a"}, {"user", "b"}}, true, false, ""), Error);
  EXPECT_THROW(RenderChat(t, {{"assistant", "a"}}, true, false, ""), Error);
}

TEST(ChatTemplate, ChatMl) {
  auto t = ChatTemplate::ByName("chatml");
  EXPECT_EQ(RenderChat(t, {{"system", "S"}, {"user", " U "}}, true, false, "<s>"),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n U <|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, Mistral) {
  auto t = ChatTemplate::ByName("mistral");
  EXPECT_EQ(RenderChat(t, kChat, true, false, "<s>"),
            "<s>[INST]   Apa ibu kota Indonesia?\n [/INST]Jakarta.</s>[INST] Dan Malaysia? [/INST]");
  EXPECT_EQ(RenderChat(t, {{"system", "S"}, {"user", "U"}}, true, false, "<s>"), "<s>[INST] S\n\nU [/INST]");
  EXPECT_THROW(RenderChat(t, {{"tool", "x"}}, true, false, "<s>"), Error);
}

TEST(ChatTemplate, SeaHelmBaseModel) {
  auto t = ChatTemplate::ByName("base");
  // SPEC 5.2: "BOS preamble\n\n task1\n\n ... task_query\n\n"; roles ignored.
  std::vector<Message> shots = {
      {"user", " Preamble. "}, {"assistant", "Q1\n"}, {"user", "Jawapan: A"}, {"user", "Q2"}};
  EXPECT_EQ(RenderChat(t, shots, true, false, "<|begin_of_text|>"),
            "<|begin_of_text|>Preamble.\n\nQ1\n\nJawapan: A\n\nQ2\n\n");
  EXPECT_EQ(RenderChat(t, shots, false, false, ""), "Preamble.\n\nQ1\n\nJawapan: A\n\nQ2");
  EXPECT_EQ(RenderChat(t, {}, true, false, "<s>"), "\n\n");
}

TEST(ChatTemplate, ContinueFinalLeavesLastTurnOpen) {
  std::vector<Message> msgs = {{"user", "Soalan?"}, {"assistant", "Jawapan: "}};
  EXPECT_EQ(RenderChat(ChatTemplate::ByName("llama3"), msgs, false, true, "<|begin_of_text|>"),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nSoalan?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nJawapan:");
  // Base-model phase 2: the prompt, then the phase-1 text, no trailing blank line.
  EXPECT_EQ(RenderChat(ChatTemplate::ByName("base"), msgs, false, true, "<s>"), "<s>Soalan?\n\nJawapan:");
  EXPECT_EQ(RenderChat(ChatTemplate::ByName("chatml"), msgs, false, true, ""),
            "<|im_start|>user\nSoalan?<|im_end|>\n<|im_start|>assistant\nJawapan:");
  EXPECT_EQ(RenderChat(ChatTemplate::ByName("gemma"), msgs, false, true, ""),
            "<start_of_turn>user\nSoalan?<end_of_turn>\n<start_of_turn>model\nJawapan:");
  EXPECT_THROW(RenderChat(ChatTemplate::ByName("base"), msgs, true, true, ""), Error);
  EXPECT_THROW(RenderChat(ChatTemplate::ByName("base"), {}, false, true, ""), Error);
}

TEST(ChatTemplate, UnknownNameListsTheNames) {
  try {
    ChatTemplate::ByName("vicuna");
    FAIL();
  } catch (const Error& e) {
    std::string what = e.what();
    for (const std::string& n : ChatTemplate::Names()) EXPECT_NE(what.find(n), std::string::npos) << what;
    EXPECT_NE(what.find("vicuna"), std::string::npos);
  }
  EXPECT_THROW(ChatTemplate::Detect(""), Error);
  EXPECT_THROW(ChatTemplate::Detect("{{ messages[0]['role'] }}: ..."), Error);
}

TEST(ChatTemplate, DetectsTemplateTexts) {
  EXPECT_EQ(ChatTemplate::Detect("{{ '<start_of_turn>' + role }}").format, ChatFormat::kGemma);
  EXPECT_EQ(ChatTemplate::Detect("{{'<|im_start|>' + message['role']}}").format, ChatFormat::kChatMl);
  EXPECT_EQ(ChatTemplate::Detect("{{ '[INST] ' + message['content'] }}").format, ChatFormat::kMistral);
  EXPECT_EQ(ChatTemplate::Resolve("auto", "x<|start_header_id|>").format, ChatFormat::kLlama3);
  EXPECT_EQ(ChatTemplate::Resolve("chatml", "x<|start_header_id|>").format, ChatFormat::kChatMl);
}

TEST(ChatTemplate, DetectsSeaHelmAndFixtureTemplates) {
  BHASA_REQUIRE_SHARED("seahelm/chat_templates/base_model.jinja");
  const std::string s = testing::SharedDir();
  EXPECT_EQ(ChatTemplate::Detect(ReadFile(s + "/seahelm/chat_templates/base_model.jinja")).format,
            ChatFormat::kBase);
  EXPECT_EQ(ChatTemplate::Detect(ReadFile(s + "/seahelm/chat_templates/llama_template_wo_sys_prompt.jinja")).format,
            ChatFormat::kLlama3);
}

}  // namespace
}  // namespace bhasa::native
