// What the openai backend reads from a server: a completion or chat reply
// body (text, finish reason, usage, logprobs, refusals, stop strings) and the
// summary of an error body.
#include <array>

#include "backends/openai_wire.h"
#include "fuzz/support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bhasa::backends;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  bhasa::GenerationParams asked;
  asked.stop = {"\n\n", "</s>"};
  asked.include_stop_str_in_output = true;
  asked.logprobs = 2;
  for (OpenAiEndpoint endpoint : {OpenAiEndpoint::kChat, OpenAiEndpoint::kCompletions}) {
    for (const bhasa::GenerationParams* params : std::array<const bhasa::GenerationParams*, 2>{nullptr, &asked}) {
      bhasa::fuzz::ExpectErrorOnly([&] {
        bhasa::Response out;
        ParseOpenAiReply(endpoint, body, &out, params);
      });
    }
  }
  bhasa::fuzz::ExpectErrorOnly([&] { ErrorBodySummary(body); });
  return 0;
}
