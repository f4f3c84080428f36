// The Jinja subset: statements, expressions, whitespace handling, errors, and
// real chat templates rendered both ways (Jinja vs the hand-written renderers).
#include "backends/native/jinja.h"

#include <gtest/gtest.h>

#include "backends/native/chat_template.h"
#include "common/error.h"
#include "common/fs.h"
#include "tests/test_support.h"

namespace bhasa::native {
namespace {

using nlohmann::json;

std::string R(const std::string& src, const json& ctx = json::object()) { return JinjaTemplate(src).Render(ctx); }

TEST(Jinja, TextAndExpressions) {
  EXPECT_EQ(R("plain"), "plain");
  EXPECT_EQ(R("{{ 'a' + 'b' }}-{{ 1 + 2 * 3 }}-{{ 7 // 2 }}-{{ -7 // 2 }}-{{ 7 % 3 }}"), "ab-7-3--4-1");
  EXPECT_EQ(R("{{ x ~ 1 }}", {{"x", "n"}}), "n1");
  EXPECT_EQ(R("{{ 'ab' if t else 'cd' }}{{ 'x' if f }}", {{"t", true}, {"f", false}}), "ab");
  EXPECT_EQ(R("{{ m['role'] }}:{{ m.content }}", {{"m", {{"role", "user"}, {"content", "hi"}}}}), "user:hi");
  EXPECT_EQ(R("{{ xs[1:] | length }}{{ xs[-1] }}{{ 'héllo'[1:3] }}", {{"xs", {1, 2, 3}}}), "23él");
  EXPECT_EQ(R("{{ undefined_name }}|{{ none }}|{{ true }}|{{ 1.5 }}"), "|None|True|1.5");
  EXPECT_EQ(R("{{ 'a' in 'cat' }}{{ 2 in [1, 2] }}{{ 'k' not in {'k': 1} }}"), "TrueTrueFalse");
  EXPECT_EQ(R("{{ not a and b or c }}", {{"a", false}, {"b", 0}, {"c", "z"}}), "z");
}

TEST(Jinja, FiltersTestsAndMethods) {
  EXPECT_EQ(R("[{{ '  x y \n' | trim }}]"), "[x y]");
  EXPECT_EQ(R("{{ 'ภาษา' | length }}{{ [1,2] | length }}"), "42");
  EXPECT_EQ(R("{{ xs | join(', ') }}|{{ xs | first }}|{{ xs | last }}", {{"xs", {"a", "b"}}}), "a, b|a|b");
  EXPECT_EQ(R("{{ x | default('d') }}{{ {'a': [1, 'b']} | tojson }}"), "d{\"a\": [1, \"b\"]}");
  EXPECT_EQ(R("{{ x is defined }}{{ y is not defined }}{{ none is none }}{{ 's' is string }}", {{"x", 1}}),
            "TrueTrueTrueTrue");
  EXPECT_EQ(R("{{ ' a '.strip() }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}|{{ 'abc'.startswith('ab') }}"),
            "a|ABab|True");
  EXPECT_EQ(R("{{ d.get('k', 'no') }}{{ d.get('a') }}{{ 'ab'.endswith('b') }}", {{"d", {{"a", 1}}}}), "no1True");
}

TEST(Jinja, ForIfSetAndLoopVariables) {
  json ctx = {{"xs", {"a", "b", "c"}}};
  EXPECT_EQ(R("{% for x in xs %}{{ loop.index0 }}{{ x }}{% if loop.first %}F{% elif loop.last %}L{% else %}-{% endif %}"
              "{% endfor %}",
              ctx),
            "0aF1b-2cL");
  // set inside a loop stays in the loop; a namespace carries values out.
  EXPECT_EQ(R("{% set n = 'out' %}{% set ns = namespace(c=0) %}{% for x in xs %}{% set n = x %}"
              "{% set ns.c = ns.c + 1 %}{% endfor %}{{ n }}{{ ns.c }}",
              ctx),
            "out3");
  EXPECT_EQ(R("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", {{"d", {{"a", 1}, {"b", 2}}}}), "a=1;b=2;");
  EXPECT_EQ(R("{% for x in [] %}x{% else %}empty{% endfor %}{% for i in range(3) %}{{ i }}{% endfor %}"), "empty012");
}

TEST(Jinja, WhitespaceControlTrimAndLstripBlocks) {
  EXPECT_EQ(R("a  {{- 'b' -}}  \n c"), "abc");
  // trim_blocks removes the newline after a block tag; lstrip_blocks the
  // indentation before it.
  EXPECT_EQ(R("{% if true %}\n  x\n    {% endif %}\ny"), "  x\ny");
  EXPECT_EQ(R("  {%- if true %}a{% endif %}"), "a");
  EXPECT_EQ(R("a{# comment #}b"), "ab");
}

TEST(Jinja, ErrorsNameTheLine) {
  EXPECT_THROW(R("{% if x %}never closed"), Error);
  EXPECT_THROW(R("{{ 'unterminated }}"), Error);
  EXPECT_THROW(R("{% macro m() %}{% endmacro %}"), Error);
  EXPECT_THROW(R("{{ x | nosuchfilter }}"), Error);
  try {
    R("line1\n{{ raise_exception('Roles must alternate') }}");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Roles must alternate"), std::string::npos);
  }
  try {
    R("a\nb\n{{ 1 + }}");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}

std::string ErrorOf(const std::string& src, const json& ctx = json::object()) {
  try {
    R(src, ctx);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A hostile template ends in an error naming the line, not in a hang, a
// stack overflow or all the memory (each of these was a fuzzing finding or
// one step from it).
TEST(Jinja, LimitsStopHostileTemplates) {
  // A long loop: stopped by the work budget long before its end.
  EXPECT_NE(ErrorOf("{% for i in range(90000) %}x{% endfor %}").find("rendering stopped"), std::string::npos);
  EXPECT_NE(ErrorOf("{% for i in range(9000) %}{% for j in range(9000) %}{% endfor %}{% endfor %}").find("line 1"),
            std::string::npos);
  // A string doubled until it would not fit in memory.
  EXPECT_NE(ErrorOf("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}")
                .find("16 MiB"),
            std::string::npos);
  // Nesting deep enough to exhaust the stack.
  EXPECT_NE(ErrorOf("{{ " + std::string(1000, '(') + "1" + std::string(1000, ')') + " }}").find("nested too deeply"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{{ " + std::string(1500, '-') + "1 }}").find("nested too deeply"), std::string::npos);
  std::string ifs;
  for (int i = 0; i < 500; ++i) ifs += "{% if true %}";
  EXPECT_NE(ErrorOf(ifs).find("blocks nested more than"), std::string::npos);
  std::string sum = "{{ 1";
  for (int i = 0; i < 3000; ++i) sum += " + 1";
  EXPECT_NE(ErrorOf(sum + " }}").find("tokens"), std::string::npos);
  // Python's ints are unbounded; ours stop with an error instead of wrapping.
  EXPECT_NE(ErrorOf("{{ 9223372036854775807 + 1 }}").find("integer overflow"), std::string::npos);
  EXPECT_NE(ErrorOf("{{ 4611686018427387904 * 2 }}").find("integer overflow"), std::string::npos);
  EXPECT_NE(ErrorOf("{{ -x }}", {{"x", INT64_MIN}}).find("integer overflow"), std::string::npos);
  EXPECT_NE(ErrorOf("{{ x // -1 }}", {{"x", INT64_MIN}}).find("integer overflow"), std::string::npos);
}

// The limits leave room for any real chat: a thousand turns of a kilobyte each.
TEST(Jinja, LimitsLeaveRoomForLongChats) {
  json msgs = json::array();
  for (int i = 0; i < 1000; ++i) msgs.push_back({{"role", i % 2 ? "assistant" : "user"}, {"content", std::string(1000, 'a')}});
  const std::string tmpl =
      "{% for m in messages %}{% if loop.first %}{{ bos_token }}{% endif %}<|start_header_id|>{{ m['role'] }}"
      "<|end_header_id|>\n\n{{ m['content'] | trim }}<|eot_id|>{% endfor %}";
  const std::string out = R(tmpl, {{"messages", msgs}, {"bos_token", "<s>"}});
  EXPECT_EQ(out.size(), 3 + 1000 * (1000 + std::string("<|start_header_id|><|end_header_id|>\n\n<|eot_id|>").size()) +
                            500 * (std::string("user").size() + std::string("assistant").size()));
}

// A template is raw bytes from a model file: a string literal that is not
// UTF-8 renders as itself, and with U+FFFD where it is written as JSON (a
// printed list, tojson), never as a JSON exception.
TEST(Jinja, StringsThatAreNotUtf8) {
  EXPECT_EQ(R("{{ 'a\x8b" "b' }}"), "a\x8b" "b");
  EXPECT_EQ(R("{{ ['a\x8b" "b'] }}"), "[\"a\uFFFDb\"]");
  EXPECT_EQ(R("{{ {'k\xff': 1} | tojson }}"), "{\"k\uFFFD\": 1}");
}

json Context(const std::vector<Message>& msgs, bool gen, const std::string& bos) {
  json m = json::array();
  for (const Message& x : msgs) m.push_back({{"role", x.role}, {"content", x.content}});
  return {{"messages", m}, {"add_generation_prompt", gen}, {"bos_token", bos}, {"eos_token", "</s>"}};
}

const std::vector<std::vector<Message>> kConversations = {
    {{"user", "  Apa ibu kota Indonesia?\n"}},
    {{"user", "Q1"}, {"assistant", " A1 "}, {"user", "Q2\n\n"}},
    {{"system", "Jawab singkat."}, {"user", "Halo"}},
    {{"user", "Terjemahkan: สวัสดี"}, {"assistant", "Halo"}},
};

// The SEA-HELM and fixture templates, through Jinja and by hand, must agree.
TEST(Jinja, RealTemplatesMatchHandWrittenRenderers) {
  BHASA_REQUIRE_SHARED("seahelm/chat_templates/base_model.jinja");
  const std::string s = testing::SharedDir();
  struct Case {
    std::string path;
    const char* name;
    bool always_generation_prompt;
  };
  const Case cases[] = {
      {s + "/seahelm/chat_templates/base_model.jinja", "base", false},
      {s + "/seahelm/chat_templates/llama_template_wo_sys_prompt.jinja", "llama3", false},
  };
  for (const Case& c : cases) {
    JinjaTemplate t(ReadFile(c.path));
    for (const auto& msgs : kConversations)
      for (bool gen : {false, true})
        EXPECT_EQ(t.Render(Context(msgs, gen, "<|begin_of_text|>")),
                  RenderChat(ChatTemplate::ByName(c.name), msgs, gen, false, "<|begin_of_text|>"))
            << c.path << " gen=" << gen;
  }
}

TEST(Jinja, FixtureTokenizerConfigLlama3Template) {
  BHASA_REQUIRE_SHARED("fixtures/llama3-tokenizer/tokenizer_config.json");
  json cfg = json::parse(ReadFile(testing::SharedDir() + "/fixtures/llama3-tokenizer/tokenizer_config.json"));
  const std::string text = cfg["chat_template"];
  EXPECT_EQ(ChatTemplate::Detect(text).format, ChatFormat::kLlama3);
  JinjaTemplate t(text);
  // This template always appends the assistant header.
  for (const auto& msgs : kConversations)
    EXPECT_EQ(t.Render(Context(msgs, true, "<|begin_of_text|>")),
              RenderChat(ChatTemplate::ByName("llama3"), msgs, true, false, "<|begin_of_text|>"));
}

// Common public templates, written out here in their published form.
TEST(Jinja, PublicTemplatesMatchHandWrittenRenderers) {
  const std::string chatml =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + "
      "'\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  const std::string mistral =
      "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
      "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
      "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
      "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
      "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
  const std::string gemma =
      "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
      "{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
      "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
      "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}"
      "{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
      "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";
  for (const auto& msgs : kConversations) {
    bool has_system = msgs[0].role == "system";
    for (bool gen : {false, true}) {
      EXPECT_EQ(JinjaTemplate(chatml).Render(Context(msgs, gen, "<s>")),
                RenderChat(ChatTemplate::ByName("chatml"), msgs, gen, false, "<s>"));
      if (has_system) {
        EXPECT_THROW(JinjaTemplate(gemma).Render(Context(msgs, gen, "<bos>")), Error);
        EXPECT_THROW(JinjaTemplate(mistral).Render(Context(msgs, gen, "<s>")), Error);
        continue;
      }
      EXPECT_EQ(JinjaTemplate(gemma).Render(Context(msgs, gen, "<bos>")),
                RenderChat(ChatTemplate::ByName("gemma"), msgs, gen, false, "<bos>"));
      EXPECT_EQ(JinjaTemplate(mistral).Render(Context(msgs, gen, "<s>")),
                RenderChat(ChatTemplate::ByName("mistral"), msgs, gen, false, "<s>"));
    }
  }
}

}  // namespace
}  // namespace bhasa::native
