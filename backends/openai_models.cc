#include "backends/openai_models.h"

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace bhasa::backends {

namespace {

using nlohmann::json;

int PositiveInt(const json& parent, const char* key) {
  auto it = parent.find(key);
  return it != parent.end() && it->is_number_integer() && it->get<long long>() > 0
             ? static_cast<int>(std::min<long long>(it->get<long long>(), 1 << 30))
             : 0;
}

int ContextLength(const json& entry) {
  if (int n = PositiveInt(entry, "max_model_len")) return n;
  if (auto meta = entry.find("meta"); meta != entry.end() && meta->is_object()) {
    if (int n = PositiveInt(*meta, "n_ctx")) return n;
    return PositiveInt(*meta, "n_ctx_train");
  }
  return 0;
}

}  // namespace

ServedModels ParseModelsReply(std::string_view body, const std::string& model) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  auto data = j.is_object() ? j.find("data") : j.end();
  if (!j.is_object() || data == j.end() || !data->is_array())
    throw Error("the reply is not a model list (no \"data\" array): " + std::string(body.substr(0, 120)));
  ServedModels out;
  const json* chosen = nullptr;
  for (const json& entry : *data) {
    if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string()) continue;
    out.ids.push_back(entry["id"].get<std::string>());
    if (!model.empty() && out.ids.back() == model) chosen = &entry;
  }
  out.listed = chosen != nullptr;
  // A server of one model (llama.cpp's, TGI) answers whatever name is asked.
  if (!chosen && data->size() == 1) chosen = &(*data)[0];
  if (chosen) out.max_context = ContextLength(*chosen);
  return out;
}

}  // namespace bhasa::backends
