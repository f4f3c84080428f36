#include "backends/openai_server_choices.h"

#include "backends/openai_server_wire.h"

namespace bhasa::backends {

using nlohmann::json;

std::vector<std::string> PromptList(const json& body) {
  const auto it = body.find("prompt");
  if (it == body.end() || it->is_null()) throw ApiError(400, "'prompt' is required", "prompt", "missing_required_parameter");
  if (it->is_string()) return {it->get<std::string>()};
  if (!it->is_array() || it->empty())
    throw ApiError(400, "'prompt' must be a string or a non-empty array of strings", "prompt", "invalid_type");
  std::vector<std::string> out;
  for (const json& p : *it) {
    if (!p.is_string())
      throw ApiError(400, "'prompt' must be a string or an array of strings (token ids are not accepted)", "prompt",
                     "invalid_type");
    out.push_back(p.get<std::string>());
  }
  return out;
}

json FirstPromptBody(const json& body) {
  json first = body;
  if (auto it = first.find("prompt"); it != first.end() && it->is_array() && !it->empty()) first["prompt"] = (*it)[0];
  return first;
}

std::vector<Request> ChoiceRequests(const Request& base, const std::vector<std::string>& prompts, int n) {
  std::vector<Request> out;
  const bool several = prompts.size() > 1 || n > 1;
  for (const std::string& prompt : prompts)
    for (int k = 0; k < n; ++k) {
      Request r = base;
      if (base.prompt) r.prompt = prompt;
      r.params.seed = base.params.seed + static_cast<uint64_t>(k);
      if (several) r.id += "-" + std::to_string(out.size());
      out.push_back(std::move(r));
    }
  return out;
}

json MergeReplies(const std::vector<json>& replies, int n) {
  if (replies.empty()) return json::object();
  json merged = replies[0];
  merged["choices"] = json::array();
  int64_t prompt_tokens = 0, completion_tokens = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    json choice = replies[i]["choices"][0];
    choice["index"] = i;
    merged["choices"].push_back(std::move(choice));
    const json& usage = replies[i]["usage"];
    if (i % static_cast<size_t>(n) == 0) prompt_tokens += usage.value("prompt_tokens", 0);
    completion_tokens += usage.value("completion_tokens", 0);
  }
  merged["usage"] = {{"prompt_tokens", prompt_tokens},
                     {"completion_tokens", completion_tokens},
                     {"total_tokens", prompt_tokens + completion_tokens}};
  return merged;
}

}  // namespace bhasa::backends
