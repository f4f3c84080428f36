// SEA-HELM's base-model prompt (chat_templates/base_model.jinja), shared by
// the native engine's "base" chat template and the openai backend, which
// sends it as a raw prompt to /v1/completions.
//
// Roles are ignored; each content is stripped (Python str.strip); bos_token
// goes before the first; contents are joined with "\n\n", and a final "\n\n"
// follows when add_generation_prompt. Without it the text ends right after
// the last content, which is where a continued final message resumes.
// Pure function; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/request.h"

namespace bhasa {

std::string RenderBasePrompt(const std::vector<Message>& msgs, bool add_generation_prompt,
                             const std::string& bos_token);

}  // namespace bhasa
