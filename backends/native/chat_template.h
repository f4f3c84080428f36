// Chat templates: turning a list of messages into the prompt text a model was
// trained on. The formats are written by hand (no template engine at run
// time) and match the Jinja templates they are named after:
//   llama3   <|start_header_id|>role<|end_header_id|>\n\n{content|trim}<|eot_id|>, BOS first
//   gemma    <start_of_turn>user|model\n{content|trim}<end_of_turn>\n, BOS first; a system
//            message is folded into the first user turn (Gemma 3)
//   gemma2   the same, but a system message is an error, as Gemma 2's template raises
//   chatml   <|im_start|>role\n{content}<|im_end|>\n (Qwen-style, no BOS); a template
//            that opens with a fixed system turn when the chat has none (Qwen2:
//            "You are a helpful assistant.", Qwen2.5: "You are Qwen, created by Alibaba
//            Cloud. ...", Sailor2) has that text recognised as default_system
//   mistral  BOS [INST] {user} [/INST]{assistant}</s> (a system message prefixes the first user turn)
//   base     SEA-HELM's chat_templates/base_model.jinja (common/base_prompt.h): roles ignored,
//            each content trimmed, BOS before the first, joined with "\n\n", a final "\n\n"
//
// Thread-safety: everything here is a pure function of its arguments.
// Failure: unknown names and unrecognised template texts throw bhasa::Error
// listing the known names; role-order violations throw Error as the Jinja
// templates' raise_exception would.
#pragma once

#include <string>
#include <vector>

#include "common/request.h"

namespace bhasa::native {

enum class ChatFormat { kLlama3, kGemma, kGemma2, kChatMl, kMistral, kBase };

struct ChatTemplate {
  ChatFormat format = ChatFormat::kLlama3;
  std::string name = "llama3";
  std::string eos_token = "</s>";  // closes assistant turns in the mistral format
  std::string default_system;      // chatml: the system turn written when the chat has none

  // "llama3", "gemma", "gemma2", "chatml", "mistral", "base" (alias "seahelm-base").
  static ChatTemplate ByName(const std::string& name);
  // Recognises a model's template text (tokenizer.chat_template or
  // tokenizer_config.json "chat_template") by its markers.
  static ChatTemplate Detect(const std::string& template_text);
  // A name when given (not "" or "auto"), else Detect(model_template_text).
  static ChatTemplate Resolve(const std::string& name, const std::string& model_template_text);
  static std::vector<std::string> Names();
};

// Renders messages. add_generation_prompt appends the opening of an assistant
// turn. continue_final leaves the last message open so generation continues
// it (Hugging Face's continue_final_message: the text is cut right after the
// last message's stripped content); it cannot be combined with
// add_generation_prompt. bos_token is written where the template wants BOS
// ("" for none).
std::string RenderChat(const ChatTemplate& tmpl, const std::vector<Message>& msgs, bool add_generation_prompt,
                       bool continue_final, const std::string& bos_token);

}  // namespace bhasa::native
