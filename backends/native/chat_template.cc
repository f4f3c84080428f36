#include "backends/native/chat_template.h"

#include <regex>

#include "common/base_prompt.h"
#include "common/error.h"
#include "common/pystr.h"

namespace bhasa::native {

namespace {

struct Known {
  const char* name;
  ChatFormat format;
};
constexpr Known kKnown[] = {
    {"llama3", ChatFormat::kLlama3}, {"gemma", ChatFormat::kGemma},     {"gemma2", ChatFormat::kGemma2},
    {"chatml", ChatFormat::kChatMl}, {"mistral", ChatFormat::kMistral}, {"base", ChatFormat::kBase},
};

std::string NameList() {
  std::string s;
  for (const Known& k : kKnown) s += (s.empty() ? "" : ", ") + std::string(k.name);
  return s;
}

bool Contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

// The body of a Jinja string literal with its backslash escapes resolved.
std::string UnescapeJinjaString(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out.push_back(s[i]);
      continue;
    }
    const char c = s[++i];
    out.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c);
  }
  return out;
}

// Both Gemma and Mistral templates demand user/assistant alternation after
// an optional leading system message.
void CheckAlternation(const std::vector<Message>& msgs, size_t first, const char* format) {
  for (size_t i = first; i < msgs.size(); ++i) {
    const std::string& role = msgs[i].role;
    if (role != "user" && role != "assistant")
      throw Error(std::string(format) + " chat template: message " + std::to_string(i) + " has role \"" + role +
                  "\" (only user and assistant, plus a leading system message, are supported)");
    if ((role == "user") != ((i - first) % 2 == 0))
      throw Error(std::string(format) + " chat template: conversation roles must alternate user/assistant/"
                  "user/assistant/... (message " + std::to_string(i) + " is \"" + role + "\")");
  }
}

std::string RenderLlama3(const std::vector<Message>& msgs, bool gen, const std::string& bos) {
  std::string out;
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (i == 0) out += bos;
    out += "<|start_header_id|>" + msgs[i].role + "<|end_header_id|>\n\n" + py::Strip(msgs[i].content) + "<|eot_id|>";
  }
  if (gen) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

std::string RenderGemma(const std::vector<Message>& msgs, bool gen, const std::string& bos, bool system_ok) {
  std::string out = bos, prefix;
  size_t first = 0;
  if (!msgs.empty() && msgs[0].role == "system") {
    if (!system_ok)
      throw Error("gemma2 chat template: System role not supported (the model's template raises here; "
                  "--chat-template gemma folds a system message into the first user turn)");
    prefix = msgs[0].content + "\n\n";
    first = 1;
  }
  CheckAlternation(msgs, first, "gemma");
  for (size_t i = first; i < msgs.size(); ++i) {
    const char* role = msgs[i].role == "assistant" ? "model" : "user";
    out += std::string("<start_of_turn>") + role + "\n" + (i == first ? prefix : std::string()) +
           py::Strip(msgs[i].content) + "<end_of_turn>\n";
  }
  if (gen) out += "<start_of_turn>model\n";
  return out;
}

std::string RenderChatMl(const std::vector<Message>& msgs, bool gen, const std::string& default_system) {
  std::string out;
  if (!default_system.empty() && !msgs.empty() && msgs[0].role != "system")
    out += "<|im_start|>system\n" + default_system + "<|im_end|>\n";
  for (const Message& m : msgs) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  if (gen) out += "<|im_start|>assistant\n";
  return out;
}

std::string RenderMistral(const std::vector<Message>& msgs, const std::string& bos, const std::string& eos) {
  std::string out = bos, prefix;
  size_t first = 0;
  if (!msgs.empty() && msgs[0].role == "system") {
    prefix = msgs[0].content + "\n\n";
    first = 1;
  }
  CheckAlternation(msgs, first, "mistral");
  for (size_t i = first; i < msgs.size(); ++i) {
    if (msgs[i].role == "user")
      out += "[INST] " + (i == first ? prefix : std::string()) + msgs[i].content + " [/INST]";
    else
      out += msgs[i].content + eos;
  }
  return out;  // the [/INST] already opens the assistant turn
}

// The text of a fixed system turn in a ChatML template: a whole string
// literal '<|im_start|>system\n...<|im_end|>...' (Qwen2, Qwen2.5, Sailor2
// write it for chats that do not open with a system message). "" when none.
std::string DefaultSystemTurn(const std::string& t) {
  static const std::regex kLiteral[] = {
      std::regex(R"('<\|im_start\|>system(?:\\n|\n)((?:[^'\\]|\\.)*?)<\|im_end\|>)"),
      std::regex(R"("<\|im_start\|>system(?:\\n|\n)((?:[^"\\]|\\.)*?)<\|im_end\|>)"),
  };
  std::smatch m;
  for (const std::regex& re : kLiteral)
    if (std::regex_search(t, m, re)) return UnescapeJinjaString(m[1].str());
  return "";
}

}  // namespace

std::vector<std::string> ChatTemplate::Names() {
  std::vector<std::string> names;
  for (const Known& k : kKnown) names.push_back(k.name);
  return names;
}

ChatTemplate ChatTemplate::ByName(const std::string& name) {
  std::string n = name == "seahelm-base" || name == "base_model" ? "base" : name;
  if (n == "llama-3" || n == "llama3-instruct") n = "llama3";
  for (const Known& k : kKnown)
    if (n == k.name) return ChatTemplate{k.format, k.name, "</s>", ""};
  throw Error("unknown chat template \"" + name + "\" (known: " + NameList() + ")");
}

ChatTemplate ChatTemplate::Detect(const std::string& t) {
  if (t.empty())
    throw Error("the model has no chat template; name one (known: " + NameList() + ")");
  if (Contains(t, "<|start_header_id|>")) return ByName("llama3");
  if (Contains(t, "<start_of_turn>"))
    return ByName(Contains(t, "System role not supported") ? "gemma2" : "gemma");
  if (Contains(t, "<|im_start|>")) {
    ChatTemplate c = ByName("chatml");
    c.default_system = DefaultSystemTurn(t);
    return c;
  }
  if (Contains(t, "[INST]")) return ByName("mistral");
  // SEA-HELM's base template: contents joined by blank lines, roles unused.
  if (!Contains(t, "role") && Contains(t, "content") && (Contains(t, "\\n\\n") || Contains(t, "\n\n")))
    return ByName("base");
  std::string head = t.substr(0, 120);
  throw Error("unrecognised chat template \"" + head + (t.size() > 120 ? "..." : "") +
              "\"; name one instead (known: " + NameList() + ")");
}

ChatTemplate ChatTemplate::Resolve(const std::string& name, const std::string& model_template_text) {
  if (!name.empty() && name != "auto") return ByName(name);
  return Detect(model_template_text);
}

std::string RenderChat(const ChatTemplate& tmpl, const std::vector<Message>& msgs, bool add_generation_prompt,
                       bool continue_final, const std::string& bos_token) {
  if (continue_final && add_generation_prompt)
    throw Error("chat template: continue_final and add_generation_prompt cannot both be set");
  if (continue_final && msgs.empty()) throw Error("chat template: continue_final needs at least one message");
  bool gen = add_generation_prompt;
  std::string out;
  switch (tmpl.format) {
    case ChatFormat::kLlama3: out = RenderLlama3(msgs, gen, bos_token); break;
    case ChatFormat::kGemma: out = RenderGemma(msgs, gen, bos_token, true); break;
    case ChatFormat::kGemma2: out = RenderGemma(msgs, gen, bos_token, false); break;
    case ChatFormat::kChatMl: out = RenderChatMl(msgs, gen, tmpl.default_system); break;
    case ChatFormat::kMistral: out = RenderMistral(msgs, bos_token, tmpl.eos_token); break;
    case ChatFormat::kBase: out = RenderBasePrompt(msgs, gen, bos_token); break;
  }
  if (continue_final) {
    // Cut right after the final message's (stripped) content, dropping the
    // turn's closing tokens: Hugging Face's continue_final_message.
    std::string last = py::Strip(msgs.back().content);
    size_t at = out.rfind(last);
    if (at == std::string::npos)
      throw Error("chat template " + tmpl.name + ": the final message does not appear in the rendered chat");
    out.resize(at + last.size());
  }
  return out;
}

}  // namespace bhasa::native
