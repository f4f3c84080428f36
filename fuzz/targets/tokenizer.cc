// Hugging Face tokenizer.json + tokenizer_config.json (Vocab::FromTokenizerJson),
// then tokenizing and detokenizing text with the vocab built from them.
// Input: tokenizer.json, tokenizer_config.json, text (fuzz/support.h parts).
#include "backends/native/vocab.h"
#include "fuzz/support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bhasa::native;
  static const bhasa::fuzz::ScratchDir dir;
  auto parts = bhasa::fuzz::SplitParts(data, size, 3);
  dir.Reset();
  std::string tok = dir.Write("tokenizer.json", parts[0]);
  std::string cfg = parts[1].empty() ? "" : dir.Write("tokenizer_config.json", parts[1]);
  bhasa::fuzz::ExpectErrorOnly([&] {
    Vocab vocab = Vocab::FromTokenizerJson(tok, cfg);
    for (bool special : {false, true}) {
      std::vector<int32_t> ids = vocab.Tokenize(parts[2], special, special);
      vocab.Detokenize(ids, special);
    }
  });
  return 0;
}
