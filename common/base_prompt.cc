#include "common/base_prompt.h"

#include "common/pystr.h"

namespace bhasa {

std::string RenderBasePrompt(const std::vector<Message>& msgs, bool add_generation_prompt,
                             const std::string& bos_token) {
  std::string out;
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (i == 0) out += bos_token;
    out += py::Strip(msgs[i].content);
    if (i + 1 < msgs.size()) out += "\n\n";
  }
  if (add_generation_prompt) out += "\n\n";
  return out;
}

}  // namespace bhasa
