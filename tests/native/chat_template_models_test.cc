// The chat templates of Qwen2, Qwen2.5 and Gemma 2 as published in their
// tokenizer_config.json (here as the decoded JSON string): recognised from
// their text, and rendered by hand exactly as the Jinja template renders them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backends/native/chat_template.h"
#include "backends/native/jinja.h"
#include "common/error.h"

namespace bhasa::native {
namespace {

using nlohmann::json;

// Qwen/Qwen2-7B-Instruct. The JSON's "\n" are newlines inside the literals.
const std::string kQwen2 =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
    "You are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n"
    "' }}{% endif %}";

// Qwen/Qwen2.5-7B-Instruct. Here the literals carry Jinja's own \n escapes.
const std::string kQwen25 = R"TPL({%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\n<tool_call>\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- message.content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
)TPL";

// google/gemma-2-9b-it (and gemma-2-2b-it, gemma-1.1).
const std::string kGemma2 =
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
    "{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}"
    "{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

json Context(const std::vector<Message>& msgs, bool gen, const std::string& bos) {
  json m = json::array();
  for (const Message& x : msgs) m.push_back({{"role", x.role}, {"content", x.content}});
  return {{"messages", m}, {"add_generation_prompt", gen}, {"bos_token", bos}, {"eos_token", "<eos>"}};
}

const std::vector<std::vector<Message>> kChats = {
    {{"user", "  Apa ibu kota Indonesia?\n"}},
    {{"user", "Q1"}, {"assistant", " A1 "}, {"user", "Q2\n\n"}},
    {{"user", "Terjemahkan: สวัสดี"}, {"assistant", "Xin chào"}},
};
const std::vector<Message> kWithSystem = {{"system", "Jawab singkat."}, {"user", "Halo"}};

void ExpectSameAsJinja(const std::string& text, const std::vector<Message>& msgs, const std::string& bos) {
  ChatTemplate t = ChatTemplate::Detect(text);
  JinjaTemplate jinja(text);
  for (bool gen : {false, true})
    EXPECT_EQ(RenderChat(t, msgs, gen, false, bos), jinja.Render(Context(msgs, gen, bos))) << t.name << " gen=" << gen;
}

TEST(ModelChatTemplates, Qwen2WritesItsDefaultSystemTurn) {
  ChatTemplate t = ChatTemplate::Detect(kQwen2);
  EXPECT_EQ(t.format, ChatFormat::kChatMl);
  EXPECT_EQ(t.default_system, "You are a helpful assistant.");
  EXPECT_EQ(RenderChat(t, {{"user", "Halo"}}, true, false, ""),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHalo<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(RenderChat(t, kWithSystem, false, false, ""),
            "<|im_start|>system\nJawab singkat.<|im_end|>\n<|im_start|>user\nHalo<|im_end|>\n");
  for (const auto& msgs : kChats) ExpectSameAsJinja(kQwen2, msgs, "");
  ExpectSameAsJinja(kQwen2, kWithSystem, "");
}

TEST(ModelChatTemplates, Qwen25WritesItsDefaultSystemTurn) {
  ChatTemplate t = ChatTemplate::Detect(kQwen25);
  EXPECT_EQ(t.format, ChatFormat::kChatMl);
  EXPECT_EQ(t.default_system, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
  EXPECT_EQ(RenderChat(t, {{"user", "Halo"}}, true, false, ""),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHalo<|im_end|>\n<|im_start|>assistant\n");
  for (const auto& msgs : kChats) ExpectSameAsJinja(kQwen25, msgs, "");
  ExpectSameAsJinja(kQwen25, kWithSystem, "");
  // Continuing the last turn still starts with the default system turn.
  EXPECT_EQ(RenderChat(t, {{"user", "Soalan?"}, {"assistant", "Jawapan: "}}, false, true, ""),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nSoalan?<|im_end|>\n<|im_start|>assistant\nJawapan:");
}

TEST(ModelChatTemplates, PlainChatMlHasNoDefaultSystemTurn) {
  const std::string qwen3_like =
      "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + "
      "'<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
      "{%- endif %}";
  ChatTemplate t = ChatTemplate::Detect(qwen3_like);
  EXPECT_EQ(t.format, ChatFormat::kChatMl);
  EXPECT_EQ(t.default_system, "");
  for (const auto& msgs : kChats) ExpectSameAsJinja(qwen3_like, msgs, "");
  // A default system prompt with Jinja escapes inside, double-quoted.
  EXPECT_EQ(ChatTemplate::Detect("{{ \"<|im_start|>system\\nKamu \\\"Sailor\\\".\\tOK<|im_end|>\\n\" }}").default_system,
            "Kamu \"Sailor\".\tOK");
}

TEST(ModelChatTemplates, Gemma2RefusesASystemTurnAsItsTemplateDoes) {
  ChatTemplate t = ChatTemplate::Detect(kGemma2);
  EXPECT_EQ(t.format, ChatFormat::kGemma2);
  EXPECT_EQ(t.name, "gemma2");
  EXPECT_EQ(RenderChat(t, kChats[1], true, false, "<bos>"),
            "<bos><start_of_turn>user\nQ1<end_of_turn>\n<start_of_turn>model\nA1<end_of_turn>\n"
            "<start_of_turn>user\nQ2<end_of_turn>\n<start_of_turn>model\n");
  for (const auto& msgs : kChats) ExpectSameAsJinja(kGemma2, msgs, "<bos>");
  EXPECT_THROW(JinjaTemplate(kGemma2).Render(Context(kWithSystem, true, "<bos>")), Error);
  try {
    RenderChat(t, kWithSystem, true, false, "<bos>");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("System role not supported"), std::string::npos) << e.what();
  }
  EXPECT_THROW(RenderChat(t, {{"assistant", "a"}}, true, false, ""), Error);
  // Named explicitly, Gemma 3's rendering folds the system message instead.
  EXPECT_EQ(RenderChat(ChatTemplate::ByName("gemma"), kWithSystem, false, false, "<bos>"),
            "<bos><start_of_turn>user\nJawab singkat.\n\nHalo<end_of_turn>\n");
}

}  // namespace
}  // namespace bhasa::native
