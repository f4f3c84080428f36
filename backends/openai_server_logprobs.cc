#include "backends/openai_server_logprobs.h"

#include <algorithm>
#include <string>

namespace bhasa::backends {

using nlohmann::json;

namespace {

const json* Present(const json& body, const char* key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

// An integer field in [0, kMaxTopLogprobs], or -1 when absent.
int CountField(const json& body, const char* key) {
  const json* v = Present(body, key);
  if (!v) return -1;
  if (v->is_boolean() || !v->is_number_integer())
    throw ApiError(400, std::string("'") + key + "' must be an integer", key, "invalid_type");
  const int64_t n = v->get<int64_t>();
  if (n < 0 || n > kMaxTopLogprobs)
    throw ApiError(400, std::string("'") + key + "' must be between 0 and " + std::to_string(kMaxTopLogprobs) +
                            ", got " + std::to_string(n), key);
  return static_cast<int>(n);
}

bool FlagField(const json& body, const char* key) {
  const json* v = Present(body, key);
  if (v && !v->is_boolean()) throw ApiError(400, std::string("'") + key + "' must be a boolean", key, "invalid_type");
  return v && v->get<bool>();
}

const json& Entries(const Response& r, const char* key) {
  static const json kNone = json::array();
  auto it = r.logprobs.find(key);
  return it == r.logprobs.end() || !it->is_array() ? kNone : *it;
}

// A token's text as OpenAI's chat entries carry it: token, logprob, bytes.
json ChatEntry(const json& e) {
  return {{"token", e.value("token", "")}, {"logprob", e.value("logprob", json())}, {"bytes", e.value("bytes", json::array())}};
}

// Characters (code points) in a UTF-8 string: offsets count what a client sees.
int64_t Chars(const std::string& s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

json LegacyLogprobs(const LogprobFields& f, const Response& r) {
  json tokens = json::array(), values = json::array(), tops = json::array(), offsets = json::array();
  int64_t offset = 0;
  auto add = [&](const json& e, bool with_top) {
    const std::string token = e.value("token", "");
    tokens.push_back(token);
    values.push_back(e.value("logprob", json()));
    json top = nullptr;
    if (with_top && !e.value("logprob", json()).is_null()) {
      top = json::object();
      for (const auto& alt : e.value("top_logprobs", json::array()))
        if (top.size() < static_cast<size_t>(f.top)) top[alt.value("token", "")] = alt["logprob"];
    }
    tops.push_back(std::move(top));
    offsets.push_back(offset);
    if (!e.value("special", false)) offset += Chars(token);
  };
  if (f.echo)
    for (const auto& e : Entries(r, "prompt")) add(e, true);
  for (const auto& e : Entries(r, "content")) add(e, true);
  return {{"tokens", tokens}, {"token_logprobs", values}, {"top_logprobs", tops}, {"text_offset", offsets}};
}

}  // namespace

LogprobFields ReadLogprobFields(const json& body, bool chat, bool stream, Request* r) {
  LogprobFields f;
  f.chat = chat;
  if (chat) {
    f.tokens = FlagField(body, "logprobs");
    const int top = CountField(body, "top_logprobs");
    if (top > 0 && !f.tokens)
      throw ApiError(400, "'top_logprobs' needs 'logprobs' set to true", "top_logprobs");
    f.top = std::max(top, 0);
  } else {
    const int n = CountField(body, "logprobs");
    f.tokens = n >= 0;
    f.top = std::max(n, 0);
    f.echo = FlagField(body, "echo");
  }
  f.prompt = CountField(body, "prompt_logprobs");
  if (f.prompt >= 0 && stream)
    throw ApiError(400, "'prompt_logprobs' is not available with 'stream'", "prompt_logprobs");
  r->params.token_logprobs = f.tokens;
  r->params.logprobs = f.top;
  // Echoed log-probabilities need the prompt's, with as many alternatives.
  if (f.prompt >= 0 || (f.echo && f.tokens)) r->params.prompt_logprobs = std::max(f.prompt, f.echo && f.tokens ? f.top : 0);
  return f;
}

void AddLogprobs(json& reply, const LogprobFields& f, const Response& r, const std::string& prompt) {
  json& choice = reply["choices"][0];
  if (f.echo) choice["text"] = prompt + choice.value("text", "");
  if (f.chat && f.prompt >= 0) reply["prompt_logprobs"] = PromptLogprobs(f, r);
  if (!f.tokens) {
    choice["logprobs"] = nullptr;
  } else if (f.chat) {
    json content = json::array();
    for (const auto& e : Entries(r, "content")) {
      json entry = ChatEntry(e);
      json top = json::array();
      for (const auto& alt : e.value("top_logprobs", json::array()))
        if (top.size() < static_cast<size_t>(f.top)) top.push_back(ChatEntry(alt));
      entry["top_logprobs"] = std::move(top);
      content.push_back(std::move(entry));
    }
    choice["logprobs"] = {{"content", std::move(content)}};
  } else {
    choice["logprobs"] = LegacyLogprobs(f, r);
  }
  if (!f.chat && f.prompt >= 0) choice["prompt_logprobs"] = PromptLogprobs(f, r);
}

json LogprobTextChunk(const StreamHeader& h, const LogprobFields& f, const Response& r, const std::string& prompt) {
  json chunk = TextChunk(h, r.text);
  AddLogprobs(chunk, f, r, prompt);
  return chunk;
}

json PromptLogprobs(const LogprobFields& f, const Response& r) {
  if (f.prompt < 0) return nullptr;
  json out = json::array();
  for (const auto& e : Entries(r, "prompt")) {
    if (e.value("logprob", json()).is_null()) {
      out.push_back(nullptr);
      continue;
    }
    json positions = json::object();
    int rank = 1;
    for (const auto& alt : e.value("top_logprobs", json::array())) {
      if (rank > f.prompt) break;
      positions[std::to_string(alt.value("id", -1))] = {
          {"logprob", alt["logprob"]}, {"rank", rank++}, {"decoded_token", alt.value("token", "")}};
    }
    positions[std::to_string(e.value("id", -1))] = {
        {"logprob", e["logprob"]}, {"rank", e.value("rank", 1)}, {"decoded_token", e.value("token", "")}};
    out.push_back(std::move(positions));
  }
  return out;
}

}  // namespace bhasa::backends
