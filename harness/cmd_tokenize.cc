// `bhasa model tokenize MODEL --text T`: token ids (and pieces) of a text
// with the model's own tokenizer, for checking prompts and fixtures.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "backends/native/vocab.h"
#include "common/exit_codes.h"
#include "common/pystr.h"
#include "harness/command.h"
#include "harness/flags.h"

namespace bhasa {
namespace {

// A piece as one printable line: control characters and bytes that are not
// valid UTF-8 (partial characters) are escaped.
std::string Printable(const std::string& piece) {
  std::string out;
  for (size_t i = 0; i < piece.size();) {
    size_t bad = py::FindInvalidUtf8(std::string_view(piece).substr(i));
    size_t good_end = bad == std::string_view::npos ? piece.size() : i + bad;
    for (; i < good_end; ++i) {
      unsigned char c = piece[i];
      if (c == '\n') out += "\\n";
      else if (c == '\t') out += "\\t";
      else if (c == '\r') out += "\\r";
      else if (c == '\\') out += "\\\\";
      else if (c < 0x20 || c == 0x7F) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02X", c);
        out += buf;
      } else {
        out.push_back(static_cast<char>(c));
      }
    }
    if (i < piece.size()) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(piece[i]));
      out += buf;
      ++i;
    }
  }
  return out;
}

int TokenizeCommand(std::span<const std::string> args) {
  std::string model, text;
  bool no_bos = false, parse_special = false, json = false;
  Flags f("model tokenize", "MODEL --text T [--no-bos] [--parse-special] [--json]",
          "Prints the token ids and pieces of a text. MODEL is a GGUF file, a Hugging Face model\n"
          "directory, or a tokenizer.json (tokenizer_config.json is read from beside it).");
  f.Positional("MODEL", &model, "GGUF file, HF directory or tokenizer.json")
      .String("text", &text, "the text to tokenize", "T")
      .Bool("no-bos", &no_bos, "do not add BOS/EOS as the model would")
      .Bool("parse-special", &parse_special, "turn special-token text such as <|eot_id|> into its token")
      .Bool("json", &json, "print {\"ids\", \"pieces\", \"n_tokens\"} as JSON");
  if (!f.Parse(args)) return kExitOk;
  if (!f.WasSet("text")) throw Error("model tokenize: --text is required", kExitUsage);

  native::Vocab vocab = native::Vocab::Load(model);
  std::vector<int32_t> ids = vocab.Tokenize(text, !no_bos, parse_special);
  if (json) {
    nlohmann::json out = {{"ids", ids}, {"n_tokens", ids.size()}, {"pieces", nlohmann::json::array()}};
    for (int32_t id : ids) out["pieces"].push_back(vocab.TokenToPiece(id, true));
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  std::printf("%zu tokens:", ids.size());
  for (int32_t id : ids) std::printf(" %d", id);
  std::printf("\n");
  for (int32_t id : ids) std::printf("%8d  %s\n", id, Printable(vocab.TokenToPiece(id, true)).c_str());
  return kExitOk;
}

const RegisterCommand kTokenize("model tokenize", "token ids and pieces of a text with a model's tokenizer",
                                TokenizeCommand);

}  // namespace
}  // namespace bhasa
