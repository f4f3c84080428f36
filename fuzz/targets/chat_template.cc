// Chat templates: the Jinja subset (parse + render with a message list) and
// the recognition of a model's template text.
// Input: template source, JSON render context (fuzz/support.h parts).
#include <nlohmann/json.hpp>

#include "backends/native/chat_template.h"
#include "backends/native/jinja.h"
#include "fuzz/support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bhasa::native;
  auto parts = bhasa::fuzz::SplitParts(data, size, 2);
  std::string source(parts[0]);
  nlohmann::json context = nlohmann::json::parse(parts[1], nullptr, /*allow_exceptions=*/false);
  if (!context.is_object()) {
    context = {{"messages", {{{"role", "system"}, {"content", "Jawab singkat."}},
                             {{"role", "user"}, {"content", "Apa ibu kota Indonesia?"}}}},
               {"bos_token", "<s>"}, {"add_generation_prompt", true}};
  }
  bhasa::fuzz::ExpectErrorOnly([&] { JinjaTemplate(source).Render(context); });
  bhasa::fuzz::ExpectErrorOnly([&] {
    ChatTemplate t = ChatTemplate::Detect(source);
    RenderChat(t, {{"user", "Halo"}, {"assistant", "Hai"}, {"user", "Apa kabar?"}}, true, false, "<s>");
  });
  return 0;
}
