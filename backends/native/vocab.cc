#include "backends/native/vocab.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "backends/native/vocab_bpe.h"
#include "backends/native/vocab_spm.h"
#include "common/error.h"

namespace bhasa::native {

namespace {

// Control tokens that end a turn in the chat templates we render.
constexpr std::string_view kEndOfTurnTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<end_of_turn>", "<|end|>", "<|eom_id|>", "<|endoftext|>", "<EOT>",
};

bool IsSpecialType(TokenType t) {
  return t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
}

// A piece of the input: raw text still to tokenize, or an already
// recognised special token.
struct Fragment {
  int32_t token;  // -1 for raw text
  size_t offset, length;
};

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Invalid UTF-8 becomes U+FFFD, as everywhere else in tokenization.
std::string ToNfc(std::string_view s) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  icu::UnicodeString out = U_SUCCESS(status) ? nfc->normalize(u, status) : u;
  std::string utf8;
  (U_SUCCESS(status) ? out : u).toUTF8String(utf8);
  return utf8;
}

}  // namespace

Vocab::Vocab(VocabSpec spec)
    : kind_(spec.kind),
      pre_(spec.pre),
      ignore_merges_(spec.ignore_merges),
      tokens_(std::move(spec.tokens)),
      scores_(std::move(spec.scores)),
      types_(std::move(spec.types)),
      bos_id_(spec.bos_id),
      eos_id_(spec.eos_id),
      eot_id_(spec.eot_id),
      unk_id_(spec.unk_id),
      pad_id_(spec.pad_id),
      add_bos_(spec.add_bos),
      add_eos_(spec.add_eos),
      add_space_prefix_(spec.add_space_prefix),
      nfc_(spec.nfc),
      chat_template_(std::move(spec.chat_template)) {
  const size_t n = tokens_.size();
  if (n == 0) throw Error("tokenizer: the vocabulary is empty");
  if (n > static_cast<size_t>(INT32_MAX)) throw Error("tokenizer: too many tokens");
  if (scores_.empty()) scores_.assign(n, 0.0f);
  if (types_.empty()) types_.assign(n, TokenType::kNormal);
  if (scores_.size() != n)
    throw Error("tokenizer: " + std::to_string(scores_.size()) + " scores for " + std::to_string(n) + " tokens");
  if (types_.size() != n)
    throw Error("tokenizer: " + std::to_string(types_.size()) + " token types for " + std::to_string(n) + " tokens");
  auto check_id = [&](int32_t& id, const char* field) {
    if (id < -1 || id >= static_cast<int32_t>(n))
      throw Error(std::string("tokenizer: ") + field + " " + std::to_string(id) + " is outside the vocabulary (" +
                  std::to_string(n) + " tokens)");
  };
  check_id(bos_id_, "bos_token_id");
  check_id(eos_id_, "eos_token_id");
  check_id(eot_id_, "eot_token_id");
  check_id(unk_id_, "unknown_token_id");
  check_id(pad_id_, "padding_token_id");
  if (add_bos_ && bos_id_ < 0) add_bos_ = false;
  if (add_eos_ && eos_id_ < 0) add_eos_ = false;

  index_.reserve(n);
  for (size_t i = 0; i < n; ++i) index_[tokens_[i]] = static_cast<int32_t>(i);  // last one wins, as in llama.cpp

  for (size_t i = 0; i < n; ++i)
    if (IsSpecialType(types_[i]) && !tokens_[i].empty()) special_tokens_.push_back(static_cast<int32_t>(i));
  std::stable_sort(special_tokens_.begin(), special_tokens_.end(),
                   [&](int32_t a, int32_t b) { return tokens_[a].size() > tokens_[b].size(); });

  if (eot_id_ < 0) {
    for (std::string_view t : kEndOfTurnTexts) {
      int32_t id = Find(t);
      if (id >= 0 && types_[id] == TokenType::kControl) {
        eot_id_ = id;
        break;
      }
    }
  }
  if (eos_id_ >= 0) eog_ids_.push_back(eos_id_);
  if (eot_id_ >= 0) eog_ids_.push_back(eot_id_);
  // Llama 3 base models end with <|end_of_text|> even when eos names <|eot_id|>.
  for (std::string_view t : kEndOfTurnTexts) {
    int32_t id = Find(t);
    if (id >= 0 && types_[id] == TokenType::kControl) eog_ids_.push_back(id);
  }
  if (int32_t id = Find("<|end_of_text|>"); id >= 0 && types_[id] == TokenType::kControl) eog_ids_.push_back(id);
  std::sort(eog_ids_.begin(), eog_ids_.end());
  eog_ids_.erase(std::unique(eog_ids_.begin(), eog_ids_.end()), eog_ids_.end());

  if (kind_ == VocabKind::kBpe) bpe_ = std::make_unique<BpeModel>(*this, spec.merges);
  else spm_ = std::make_unique<SpmModel>(*this, spec.merges);
}

Vocab::~Vocab() = default;
Vocab::Vocab(Vocab&&) noexcept = default;
Vocab& Vocab::operator=(Vocab&&) noexcept = default;

const std::string& Vocab::Token(int32_t id) const {
  if (id < 0 || id >= size())
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary (" + std::to_string(size()) +
                " tokens)");
  return tokens_[id];
}

TokenType Vocab::Type(int32_t id) const {
  Token(id);
  return types_[id];
}

float Vocab::Score(int32_t id) const {
  Token(id);
  return scores_[id];
}

int32_t Vocab::Find(std::string_view text) const {
  auto it = index_.find(text);
  return it == index_.end() ? -1 : it->second;
}

bool Vocab::IsEog(int32_t id) const { return std::binary_search(eog_ids_.begin(), eog_ids_.end(), id); }

std::vector<int32_t> Vocab::Tokenize(std::string_view text, bool add_special, bool parse_special) const {
  // Split out special tokens, longest first, before any pre-tokenization.
  std::vector<Fragment> frags;
  if (!text.empty()) frags.push_back({-1, 0, text.size()});
  std::vector<Fragment> next;
  for (int32_t sid : special_tokens_) {
    TokenType t = types_[sid];
    if (!parse_special && (t == TokenType::kControl || t == TokenType::kUnknown)) continue;
    const std::string& st = tokens_[sid];
    bool found = false;
    for (const Fragment& f : frags) {
      if (f.token < 0 && text.substr(f.offset, f.length).find(st) != std::string_view::npos) {
        found = true;
        break;
      }
    }
    if (!found) continue;
    next.clear();
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      size_t pos = f.offset, end = f.offset + f.length;
      while (pos < end) {
        size_t hit = text.substr(0, end).find(st, pos);
        if (hit == std::string_view::npos) break;
        if (hit > pos) next.push_back({-1, pos, hit - pos});
        next.push_back({sid, hit, st.size()});
        pos = hit + st.size();
      }
      if (pos < end) next.push_back({-1, pos, end - pos});
    }
    frags.swap(next);
  }

  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_special && add_bos_) out.push_back(bos_id_);
  bool prev_special = true;  // SPM: the first raw text gets the dummy prefix
  for (const Fragment& f : frags) {
    if (f.token >= 0) {
      out.push_back(f.token);
      prev_special = true;
      continue;
    }
    std::string_view raw = text.substr(f.offset, f.length);
    std::string normalized;
    if (nfc_ && !IsAscii(raw)) {
      normalized = ToNfc(raw);
      raw = normalized;
    }
    if (kind_ == VocabKind::kBpe) {
      bpe_->Encode(*this, raw, &out);
    } else {
      std::string s;
      if (add_space_prefix_ && prev_special) s.push_back(' ');
      s.append(raw);
      spm_->Encode(*this, SpmEscapeSpaces(s), &out);
    }
    prev_special = false;
  }
  if (add_special && add_eos_) out.push_back(eos_id_);
  return out;
}

std::string Vocab::TokenToPiece(int32_t id, bool render_special) const {
  const std::string& text = Token(id);
  switch (types_[id]) {
    case TokenType::kControl:
    case TokenType::kUnknown:
      return render_special ? text : std::string();
    case TokenType::kUserDefined:
      return text;
    case TokenType::kByte: {
      int b = ParseByteToken(text);
      if (b >= 0) return std::string(1, static_cast<char>(b));
      return kind_ == VocabKind::kBpe ? ByteLevelDecode(text) : text;
    }
    default:
      return kind_ == VocabKind::kBpe ? ByteLevelDecode(text) : SpmUnescapeSpaces(text);
  }
}

std::string Vocab::Detokenize(std::span<const int32_t> ids, bool render_special) const {
  std::string out;
  for (int32_t id : ids) out += TokenToPiece(id, render_special);
  return out;
}

}  // namespace bhasa::native
