// Vocab: a model's tokenizer — the token table, special ids, and the
// text <-> token id conversions for the two families Llama-style models use:
//   kBpe  byte-level BPE (GGUF tokenizer.ggml.model = "gpt2"; Llama 3, Qwen2, SEA-LION v2/v3,
//         Sailor2), with the Llama 3, Qwen2 or GPT-2 pre-tokenizer (vocab_bpe.h);
//   kSpm  SentencePiece-style (tokenizer.ggml.model = "llama"; Llama 2, Gemma, Mistral):
//         byte fallback <0xXX>, U+2581 for spaces (vocab_spm.h); merges by vocab score as
//         llama.cpp runs GGUF files, or by merge rank as Hugging Face's BPE model runs a
//         tokenizer.json (Gemma's: byte_fallback, normalizer " " -> "▁").
//
// Usage:
//   Vocab v = Vocab::FromTokenizerJson("tokenizer.json", "tokenizer_config.json");
//   std::vector<int32_t> ids = v.Tokenize("Halo dunia", /*add_special=*/true, /*parse_special=*/false);
//   std::string text = v.Detokenize(ids);
//
// Thread-safety: a Vocab is immutable after construction; every method is
// const and keeps its working state local, so one Vocab may be shared by any
// number of threads. Failure: constructors and loaders throw bhasa::Error
// naming the file and field; Tokenize never throws on any input bytes
// (invalid UTF-8 becomes U+FFFD, as llama.cpp does); Detokenize/TokenToPiece
// throw Error for ids outside [0, size()).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bhasa::native {

class ModelFile;
class BpeModel;
class SpmModel;

// GGUF token types (tokenizer.ggml.token_type values).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

enum class VocabKind { kBpe, kSpm };

// How byte-level BPE splits text before merging (the regex of the model's
// pre-tokenizer, implemented over code points).
enum class PreTokenizer {
  kLlama3,  // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  kGpt2,    // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  kQwen2,   // Llama 3's with single digits: ...|\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+...
};

// Everything a Vocab is built from; loaders fill it, tests build it by hand.
struct VocabSpec {
  VocabKind kind = VocabKind::kBpe;
  PreTokenizer pre = PreTokenizer::kLlama3;
  // BPE: a pre-token that is itself a vocab entry is emitted without merging
  // (Llama 3's tokenizer.json "ignore_merges"; llama.cpp's llama-bpe).
  bool ignore_merges = true;
  std::vector<std::string> tokens;  // id -> text (BPE: byte-level form; SPM: with U+2581)
  std::vector<float> scores;        // SPM merge priorities; empty = all 0
  std::vector<TokenType> types;     // empty = all kNormal
  // "left right", rank = index. BPE: required. SPM: empty = merge by score
  // (llama.cpp), else merge by rank (Hugging Face BPE with byte fallback).
  std::vector<std::string> merges;
  int32_t bos_id = -1, eos_id = -1, eot_id = -1, unk_id = -1, pad_id = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = true;  // SPM: prefix raw text after BOS/special tokens with a space
  bool nfc = false;              // Unicode NFC on raw text first (Qwen2's tokenizer.json normalizer)
  std::string chat_template;     // the model's template text; may be empty
};

class Vocab {
 public:
  // Validates sizes and ids (Error naming the field) and builds the indexes.
  explicit Vocab(VocabSpec spec);
  ~Vocab();
  Vocab(Vocab&&) noexcept;
  Vocab& operator=(Vocab&&) noexcept;
  Vocab(const Vocab&) = delete;
  Vocab& operator=(const Vocab&) = delete;

  // Hugging Face tokenizer.json (byte-level BPE, or BPE over "▁"-escaped
  // text with byte fallback) plus, optionally,
  // tokenizer_config.json (bos/eos names, add_bos_token, chat_template).
  static Vocab FromTokenizerJson(const std::string& tokenizer_json_path,
                                 const std::string& tokenizer_config_path = "");
  // GGUF metadata (tokenizer.ggml.*), or for an HF directory the tokenizer
  // files the ModelFile points to.
  static Vocab FromModelFile(const ModelFile& model);
  // PATH may be a GGUF file, an HF model directory, or a tokenizer.json
  // (tokenizer_config.json is read from beside it when present).
  static Vocab Load(const std::string& path);

  // Text -> ids. add_special: BOS/EOS as the model wants (add_bos/add_eos).
  // parse_special: text of control tokens (e.g. "<|eot_id|>") becomes the
  // token; otherwise it is tokenized as plain text. User-defined tokens are
  // always matched first, as llama.cpp and HF tokenizers do.
  std::vector<int32_t> Tokenize(std::string_view text, bool add_special, bool parse_special) const;
  // The bytes one token stands for. Control tokens give their text only when
  // render_special, else "". Byte tokens (<0xXX>, byte-level chars) give raw
  // bytes, which may be a partial UTF-8 sequence.
  std::string TokenToPiece(int32_t id, bool render_special = true) const;
  // Concatenated pieces (no space stripping, no clean-up).
  std::string Detokenize(std::span<const int32_t> ids, bool render_special = false) const;

  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  const std::string& Token(int32_t id) const;  // raw vocab text; Error when out of range
  TokenType Type(int32_t id) const;
  float Score(int32_t id) const;
  // Id of the token whose vocab text is exactly `text`, or -1.
  int32_t Find(std::string_view text) const;

  VocabKind kind() const { return kind_; }
  PreTokenizer pre() const { return pre_; }
  bool ignore_merges() const { return ignore_merges_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  bool nfc() const { return nfc_; }
  int32_t bos() const { return bos_id_; }
  int32_t eos() const { return eos_id_; }
  int32_t eot() const { return eot_id_; }
  int32_t unk() const { return unk_id_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  // End of generation: eos, eot, and other end-of-turn control tokens.
  bool IsEog(int32_t id) const;
  const std::vector<int32_t>& eog_ids() const { return eog_ids_; }
  const std::string& chat_template() const { return chat_template_; }
  // "" when there is no BOS token.
  std::string BosText() const { return bos_id_ >= 0 ? tokens_[bos_id_] : std::string(); }
  std::string EosText() const { return eos_id_ >= 0 ? tokens_[eos_id_] : std::string(); }
  // Tokens matched before pre-tokenization, longest first.
  const std::vector<int32_t>& special_tokens() const { return special_tokens_; }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  VocabKind kind_;
  PreTokenizer pre_;
  bool ignore_merges_;
  std::vector<std::string> tokens_;
  std::vector<float> scores_;
  std::vector<TokenType> types_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> index_;
  int32_t bos_id_, eos_id_, eot_id_, unk_id_, pad_id_;
  bool add_bos_, add_eos_, add_space_prefix_, nfc_;
  std::string chat_template_;
  std::vector<int32_t> special_tokens_;
  std::vector<int32_t> eog_ids_;
  std::unique_ptr<const BpeModel> bpe_;
  std::unique_ptr<const SpmModel> spm_;
};

}  // namespace bhasa::native
