#include "backends/native_logprobs.h"

#include <string>

namespace bhasa::native {
namespace {

nlohmann::json Entry(const Vocab& vocab, int32_t id, const nlohmann::json& logprob) {
  const std::string piece = vocab.TokenToPiece(id, /*render_special=*/true);
  nlohmann::json bytes = nlohmann::json::array();
  for (unsigned char c : piece) bytes.push_back(c);
  nlohmann::json e = {{"token", piece}, {"id", id}, {"logprob", logprob}, {"bytes", std::move(bytes)}};
  if (vocab.TokenToPiece(id, /*render_special=*/false) != piece) e["special"] = true;
  return e;
}

nlohmann::json Entry(const Vocab& vocab, const TokenLogprob& lp) {
  nlohmann::json e = Entry(vocab, lp.token, lp.logprob);
  e["rank"] = lp.rank;
  nlohmann::json top = nlohmann::json::array();
  for (const auto& [id, logprob] : lp.top) top.push_back(Entry(vocab, id, logprob));
  e["top_logprobs"] = std::move(top);
  return e;
}

}  // namespace

nlohmann::json LogprobsJson(const Vocab& vocab, std::span<const int32_t> prompt, const GenerationResult& result,
                            bool sampled, bool prompt_logprobs) {
  nlohmann::json out;
  if (sampled) {
    out["content"] = nlohmann::json::array();
    for (const TokenLogprob& lp : result.logprobs) out["content"].push_back(Entry(vocab, lp));
  }
  if (prompt_logprobs && !prompt.empty()) {
    nlohmann::json first = Entry(vocab, prompt[0], nullptr);
    first["top_logprobs"] = nlohmann::json::array();
    out["prompt"] = nlohmann::json::array({std::move(first)});
    for (const TokenLogprob& lp : result.prompt_logprobs) out["prompt"].push_back(Entry(vocab, lp));
  }
  return out;
}

}  // namespace bhasa::native
