// SentencePiece-style tokenization: spaces are written as U+2581 "▁", text
// starts as one symbol per UTF-8 character, adjacent symbols merge, and
// characters left without a token fall back to byte tokens <0xXX>. Which
// pair merges next:
//   by score (no merges given): the pair whose merged text is a vocab entry
//     with the highest score, leftmost on ties, as llama.cpp runs GGUF
//     tokenizer.ggml.model = "llama" (Llama 2, Mistral, Gemma);
//   by rank (merges given): the listed pair of lowest rank, leftmost on ties,
//     as Hugging Face's BPE model runs a tokenizer.json with byte_fallback
//     (Gemma's).
//
// Thread-safety: SpmModel is immutable after construction; Encode keeps its
// state on the stack. Failure: never throws on input text; a character with
// neither a token nor byte tokens becomes the unknown token (or is dropped
// when the vocab has none).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
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
  // `vocab` must already answer Find(). Merges are "left right" strings
  // (rank = index); those whose parts or result are not in the vocab can
  // never fire and are dropped. Throws Error naming a malformed merge.
  SpmModel(const Vocab& vocab, std::span<const std::string> merges);

  // Appends the ids of `text`, which must already have its spaces escaped
  // (and the dummy prefix added, if the model wants one).
  void Encode(const Vocab& vocab, std::string_view escaped, std::vector<int32_t>* out) const;
  // Id of the <0xXX> token for byte b, or -1.
  int32_t ByteToken(uint8_t b) const { return byte_token_[b]; }

 private:
  static uint64_t Key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  std::array<int32_t, 256> byte_token_;
  bool by_rank_ = false;  // merges were given
  // (left id, right id) -> rank of the merges that can fire.
  std::unordered_map<uint64_t, int32_t> merge_rank_;
};

// "<0x41>" -> 0x41; -1 when the text is not a byte token's text.
int ParseByteToken(std::string_view text);

}  // namespace bhasa::native
