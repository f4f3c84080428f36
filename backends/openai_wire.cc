#include "backends/openai_wire.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/base_prompt.h"
#include "common/error.h"

namespace bhasa::backends {

using nlohmann::json;

namespace {

// A JSON string, or "" for null/absent. Content given as a list of parts
// ({"type": "text", "text": ...}), which some servers send, is concatenated.
// Returns false when the value has another type.
bool TextField(const json& parent, const char* key, std::string* out) {
  out->clear();
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return true;
  if (it->is_string()) {
    *out = it->get<std::string>();
    return true;
  }
  if (it->is_array()) {
    for (const auto& part : *it) {
      if (!part.is_object()) return false;
      auto t = part.find("text");
      if (t != part.end() && t->is_string()) *out += t->get<std::string>();
    }
    return true;
  }
  return false;
}

std::string OneLine(std::string_view s, size_t max_bytes) {
  std::string out;
  for (char c : s.substr(0, max_bytes)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (s.size() > max_bytes) out += "...";
  return out;
}

int TokenCount(const json& usage, const char* key) {
  auto it = usage.find(key);
  return it != usage.end() && it->is_number_integer() ? it->get<int>() : 0;
}

// The stop string a "stop" reply ended on but left out of `text` ("" when
// none, or when the reply says it ended on a stop token or EOS).
std::string MissingStopString(const json& choice, const std::vector<std::string>& stops, const std::string& text) {
  for (const std::string& s : stops)
    if (!s.empty() && text.ends_with(s)) return "";  // the server kept it
  for (const char* key : {"stop_reason", "matched_stop"}) {
    auto it = choice.find(key);
    if (it == choice.end()) continue;
    return it->is_string() ? it->get<std::string>() : "";
  }
  return stops.size() == 1 ? stops[0] : "";
}

// An echo reply: choices[0].logprobs covers the prompt's tokens, then the
// completion's; usage.prompt_tokens says where they part.
std::string SplitEchoedLogprobs(const json& reply, const std::string& prompt, Response* out) {
  const json& choice = reply["choices"][0];
  auto lp = choice.find("logprobs");
  if (lp == choice.end() || !lp->is_object())
    return "the server returned no logprobs for an echo request (log-likelihood tasks need a server that "
           "echoes prompt log-probabilities)";
  const json* tokens = lp->contains("tokens") ? &(*lp)["tokens"] : nullptr;
  const json* values = lp->contains("token_logprobs") ? &(*lp)["token_logprobs"] : nullptr;
  if (!tokens || !values || !tokens->is_array() || !values->is_array() || tokens->size() != values->size())
    return "choices[0].logprobs lacks equally long 'tokens' and 'token_logprobs' arrays";
  auto usage = reply.find("usage");
  if (usage == reply.end() || !usage->is_object() || !(*usage).contains("prompt_tokens") ||
      !(*usage)["prompt_tokens"].is_number_unsigned())
    return "an echo reply needs usage.prompt_tokens to tell the prompt's log-probabilities from the completion's";
  const size_t n_prompt = (*usage)["prompt_tokens"].get<size_t>();
  if (n_prompt == 0 || n_prompt > values->size())
    return "usage.prompt_tokens " + std::to_string(n_prompt) + " does not fit the " + std::to_string(values->size()) +
           " echoed log-probabilities";
  if (!out->text.starts_with(prompt)) return "the echoed text does not begin with the prompt sent";
  json prompt_entries = json::array();
  for (size_t i = 0; i < n_prompt; ++i) {
    const json& v = (*values)[i];
    if (!v.is_number() && !(v.is_null() && i == 0))  // the first token has no context
      return "token_logprobs[" + std::to_string(i) + "] is not a number";
    prompt_entries.push_back({{"token", (*tokens)[i].is_string() ? (*tokens)[i] : json("")},
                              {"logprob", v},
                              {"top_logprobs", json::array()}});
  }
  // What remains is the completion's, in the legacy shape.
  json completion = json::object();
  for (const char* key : {"tokens", "token_logprobs", "top_logprobs", "text_offset"}) {
    auto it = lp->find(key);
    if (it == lp->end() || !it->is_array() || it->size() < n_prompt) continue;
    completion[key] = json(it->begin() + static_cast<std::ptrdiff_t>(n_prompt), it->end());
  }
  out->text.erase(0, prompt.size());
  out->logprobs = std::move(completion);
  out->logprobs["prompt"] = std::move(prompt_entries);
  return "";
}

}  // namespace

const char* EndpointPath(OpenAiEndpoint e) {
  return e == OpenAiEndpoint::kChat ? "/chat/completions" : "/completions";
}

OpenAiCall BuildOpenAiCall(const Request& request, const std::string& model, MessageFormat format,
                           PromptLogprobsApi api) {
  OpenAiCall call;
  json body = json::object();
  if (!model.empty()) body["model"] = model;
  if (request.prompt) {
    call.endpoint = OpenAiEndpoint::kCompletions;
    body["prompt"] = *request.prompt;
  } else if (!request.messages.empty() && format == MessageFormat::kBaseTemplate) {
    call.endpoint = OpenAiEndpoint::kCompletions;
    body["prompt"] = RenderBasePrompt(request.messages, !request.continue_final_message, /*bos_token=*/"");
  } else if (!request.messages.empty()) {
    call.endpoint = OpenAiEndpoint::kChat;
    json messages = json::array();
    for (const Message& m : request.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
    body["messages"] = std::move(messages);
  } else {
    throw Error("request " + request.id + ": has neither a prompt nor messages");
  }
  const GenerationParams& p = request.params;
  body["max_tokens"] = p.max_tokens;
  body["seed"] = p.seed;
  body["temperature"] = p.temperature.value_or(0.0);
  body["top_p"] = p.top_p.value_or(1.0);
  // -1 is "no cut" for vLLM, SGLang and llama.cpp alike; older vLLM rejects 0.
  // Greedy decoding without a cut leaves top_k out: it changes nothing there,
  // and OpenAI's own API rejects the field.
  const bool cut = p.top_k.value_or(0) > 0;
  if (cut || p.temperature.value_or(0.0) > 0.0) body["top_k"] = cut ? *p.top_k : -1;
  if (!p.stop.empty()) body["stop"] = p.stop;
  if (p.logprobs > 0) {
    if (call.endpoint == OpenAiEndpoint::kChat) {
      body["logprobs"] = true;
      body["top_logprobs"] = p.logprobs;
    } else {
      body["logprobs"] = p.logprobs;
    }
  }
  if (p.prompt_logprobs >= 0 && api == PromptLogprobsApi::kEcho) {
    if (call.endpoint != OpenAiEndpoint::kCompletions)
      throw Error("request " + request.id +
                  ": prompt log-probabilities through echo need the completions endpoint "
                  "(a raw prompt or the 'base' chat_template option)");
    body["echo"] = true;
    body["logprobs"] = std::max(p.logprobs, 1);
    call.echoed_prompt = body["prompt"].get<std::string>();
  } else if (p.prompt_logprobs >= 0) {
    body["prompt_logprobs"] = p.prompt_logprobs;  // vLLM's extension
  }
  if (request.continue_final_message && call.endpoint == OpenAiEndpoint::kChat) {
    body["continue_final_message"] = true;
    body["add_generation_prompt"] = false;
  }
  call.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return call;
}

std::string ParseOpenAiReply(OpenAiEndpoint endpoint, std::string_view body, Response* out,
                             const GenerationParams* asked, const OpenAiCall* call) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return "invalid JSON in reply (" + std::to_string(body.size()) + " bytes): " + OneLine(body, 120);
  }
  if (!j.is_object()) return "reply is not a JSON object: " + OneLine(body, 120);
  if (auto e = j.find("error"); e != j.end() && !e->is_null()) {
    return "server returned an error: " + ErrorBodySummary(body);
  }
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    return "reply has no choices[0]: " + OneLine(body, 120);
  }
  const json& choice = (*choices)[0];
  out->status = ResponseStatus::kOk;
  if (endpoint == OpenAiEndpoint::kChat) {
    auto message = choice.find("message");
    if (message == choice.end() || !message->is_object()) return "reply has no choices[0].message";
    if (!TextField(*message, "content", &out->text)) return "choices[0].message.content is not a string";
    // vLLM and SGLang call it reasoning_content; newer servers and Ollama call it reasoning.
    std::string reasoning;
    if (!TextField(*message, "reasoning_content", &reasoning)) return "choices[0].message.reasoning_content is not a string";
    if (reasoning.empty() && !TextField(*message, "reasoning", &reasoning))
      return "choices[0].message.reasoning is not a string";
    out->reasoning = std::move(reasoning);
    std::string refusal;
    if (TextField(*message, "refusal", &refusal) && !refusal.empty()) {
      out->status = ResponseStatus::kRefused;
      out->error = "refused: " + OneLine(refusal, 300);
    }
  } else {
    auto text = choice.find("text");
    if (text == choice.end() || !text->is_string()) return "reply has no string choices[0].text";
    out->text = text->get<std::string>();
  }
  auto finish = choice.find("finish_reason");
  out->finish_reason = finish != choice.end() && finish->is_string() ? finish->get<std::string>() : "";
  if (auto lp = choice.find("logprobs"); lp != choice.end() && !lp->is_null()) out->logprobs = *lp;
  if (asked && asked->prompt_logprobs >= 0 && call && call->echoed_prompt) {
    if (std::string problem = SplitEchoedLogprobs(j, *call->echoed_prompt, out); !problem.empty()) return problem;
  } else if (asked && asked->prompt_logprobs >= 0) {
    // vLLM puts them on the body for chat and on the choice for completions.
    const json* vllm = nullptr;
    for (const json* where : {&choice, static_cast<const json*>(&j)})
      if (auto it = where->find("prompt_logprobs"); !vllm && it != where->end() && it->is_array()) vllm = &*it;
    if (!vllm)
      return "the server returned no prompt_logprobs (log-likelihood tasks need a server that gives them, "
             "such as vLLM or bhasa serve)";
    json prompt = json::array();
    for (const json& position : *vllm) {
      if (position.is_null()) {
        prompt.push_back({{"token", ""}, {"logprob", nullptr}, {"top_logprobs", json::array()}});
        continue;
      }
      // Asked for no alternatives, each position holds the prompt token alone.
      if (!position.is_object() || position.size() != 1 || !position.begin()->is_object())
        return "prompt_logprobs[" + std::to_string(prompt.size()) + "] is not one {token id: {logprob}} entry";
      const json& v = position.begin().value();
      const json* logprob = v.contains("logprob") ? &v["logprob"] : nullptr;
      if (!logprob || !logprob->is_number())
        return "prompt_logprobs[" + std::to_string(prompt.size()) + "] has no numeric logprob";
      json entry = {{"token", v.value("decoded_token", json("")).is_string() ? v.value("decoded_token", "") : ""},
                    {"logprob", *logprob},
                    {"top_logprobs", json::array()}};
      try {
        entry["id"] = std::stoi(position.begin().key());
      } catch (const std::exception&) {
      }
      prompt.push_back(std::move(entry));
    }
    if (!out->logprobs.is_object()) out->logprobs = json::object();
    out->logprobs["prompt"] = std::move(prompt);
  }
  if (asked && asked->include_stop_str_in_output && out->finish_reason == "stop")
    out->text += MissingStopString(choice, asked->stop, out->text);
  if (auto usage = j.find("usage"); usage != j.end() && usage->is_object()) {
    out->prompt_tokens = TokenCount(*usage, "prompt_tokens");
    out->completion_tokens = TokenCount(*usage, "completion_tokens");
  }
  return "";
}

std::string ErrorBodySummary(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    const json* e = &j;
    if (auto it = j.find("error"); it != j.end()) {
      if (it->is_string()) return OneLine(it->get<std::string>(), 300);
      if (it->is_object()) e = &*it;
    }
    for (const char* key : {"message", "detail"}) {
      auto m = e->find(key);
      if (m != e->end() && m->is_string()) return OneLine(m->get<std::string>(), 300);
    }
  }
  return OneLine(body, 300);
}

}  // namespace bhasa::backends
