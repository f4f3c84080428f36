// Byte-level BPE (GPT-2 / Llama 3 style): text is split by the model's
// pre-tokenizer, each pre-token's UTF-8 bytes are written with GPT-2's
// bytes_to_unicode alphabet, and merges are applied lowest rank first
// (leftmost on ties) until none applies.
//
// Thread-safety: BpeModel is immutable after construction; Encode keeps its
// state on the stack. Failure: the constructor throws bhasa::Error naming the
// merge index for a malformed merge line; Encode throws only when the vocab
// lacks a token for some byte (a broken vocab, never bad input text).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backends/native/vocab.h"

namespace bhasa::native {

// Splits text into pre-tokens with the given pre-tokenizer's regex semantics.
// Character classes follow Unicode via ICU: \p{L} = general category L*,
// \p{N} = N*, \s = White_Space. Invalid UTF-8 bytes become U+FFFD, so the
// pieces are valid UTF-8 and concatenate back to the (repaired) input.
std::vector<std::string> PreTokenize(PreTokenizer kind, std::string_view text);

// GPT-2's bytes_to_unicode: the UTF-8 of the character standing for byte b.
const std::string& ByteToChars(uint8_t b);
// Inverse over a whole token text: each character of the byte alphabet
// becomes its byte; characters outside it are copied as UTF-8.
std::string ByteLevelDecode(std::string_view token_text);
std::string ByteLevelEncode(std::string_view raw);

// A merge line "left right" split at its separating space (tokens never
// contain a plain space: byte-level writes it as U+0120, SentencePiece as
// U+2581). Throws Error naming merge `rank` when there is no separator.
std::pair<std::string_view, std::string_view> SplitMerge(std::string_view merge, size_t rank);

class BpeModel {
 public:
  // `vocab` must already answer Find(); merges are "left right" strings
  // (rank = index). Merges whose parts or result are not in the vocab can
  // never fire and are dropped.
  BpeModel(const Vocab& vocab, std::span<const std::string> merges);

  // Appends the ids of `text` (raw text with no special tokens in it).
  void Encode(const Vocab& vocab, std::string_view text, std::vector<int32_t>* out) const;
  // Appends the ids of one pre-token (exposed for tests and benchmarks).
  void EncodeWord(const Vocab& vocab, std::string_view word, std::vector<int32_t>* out) const;

  size_t merge_count() const { return merges_.size(); }

 private:
  static uint64_t Key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  // (left id, right id) -> (rank, merged id)
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges_;
  std::array<int32_t, 256> byte_token_;  // id of each byte's single-character token, or -1
};

}  // namespace bhasa::native
