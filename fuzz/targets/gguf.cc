// GGUF model files: header, metadata, tensor table (ReadGguf), then what
// `model info` and the engine read from them: the tokenizer and chat template.
#include "backends/native/chat_template.h"
#include "backends/native/model_file.h"
#include "backends/native/vocab.h"
#include "fuzz/support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bhasa::native;
  static const bhasa::fuzz::ScratchDir dir;
  std::string path = dir.Write("model.gguf", {reinterpret_cast<const char*>(data), size});
  bhasa::fuzz::ExpectErrorOnly([&] {
    auto model = ModelFile::Open(path);
    Vocab vocab = Vocab::FromModelFile(*model);
    vocab.Detokenize(vocab.Tokenize("Halo dunia <|eot_id|> สวัสดี", true, true));
    ChatTemplate::Resolve("", vocab.chat_template());
  });
  return 0;
}
