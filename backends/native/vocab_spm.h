// SentencePiece-style tokenization as llama.cpp runs it for
// tokenizer.ggml.model = "llama" (Llama 2, Mistral, Gemma): spaces are written
// as U+2581 "▁", adjacent symbols are merged highest vocab score first
// (leftmost on ties) while the merged text is a vocab entry, and characters
// left without a token fall back to byte tokens <0xXX>.
//
// Thread-safety: SpmModel is immutable after construction; Encode keeps its
// state on the stack. Failure: never throws on input text; a character with
// neither a token nor byte tokens becomes the unknown token (or is dropped
// when the vocab has none).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backends/native/vocab.h"

namespace bhasa::native {

// U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space.
inline constexpr std::string_view kSpmSpace = "\xE2\x96\x81";

// ' ' -> "▁" and back.
std::string SpmEscapeSpaces(std::string_view text);
std::string SpmUnescapeSpaces(std::string_view text);

class SpmModel {
 public:
  explicit SpmModel(const Vocab& vocab);

  // Appends the ids of `text`, which must already have its spaces escaped
  // (and the dummy prefix added, if the model wants one).
  void Encode(const Vocab& vocab, std::string_view escaped, std::vector<int32_t>* out) const;
  // Id of the <0xXX> token for byte b, or -1.
  int32_t ByteToken(uint8_t b) const { return byte_token_[b]; }

 private:
  std::array<int32_t, 256> byte_token_;
};

// "<0x41>" -> 0x41; -1 when the text is not a byte token's text.
int ParseByteToken(std::string_view text);

}  // namespace bhasa::native
