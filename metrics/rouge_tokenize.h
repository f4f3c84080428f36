// The tokenization SEA-HELM's vendored multilingual rouge_score applies before
// ROUGE-L (SPEC 7.6): lower(), BERT BasicTokenizer sanitizer, then per language
// the Thai segmenter, the Burmese syllable splitter, or OpenNMT "aggressive"
// tokenization plus spaces around CJK ideographs. All functions are pure
// and thread-safe; invalid UTF-8 becomes U+FFFD and is dropped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bhasa::metrics {

class ThaiSegmenter;

// BERT BasicTokenizer (the vendored variant): drops U+0000, U+FFFD and every
// C* character except \t\n\r, maps \t\n\r and Zs to spaces, splits on
// whitespace, and deletes punctuation (ASCII non-alphanumerics and P*),
// splitting the word there. No lowercasing, no accent stripping.
std::vector<std::string> BasicTokenize(std::string_view text);

// pyonmttok.Tokenizer("aggressive") on already-sanitized text, as OpenNMT
// Tokenizer's tokenize_text does it: Z* separators end a token; combining
// marks stay with the character before them; a letter/number change splits
// (N* are numbers, so "10²" is one token); any other character is a token of
// its own; a mark at the start is a token, and a separator followed by marks
// becomes the token "％0020" plus the marks; OpenNMT's reserved characters are
// substituted ('▁' -> '_', '￭' -> '■', '￨' -> '│', '％' -> '%', '＃' -> '#',
// '：' -> ':'); code points < 32 and U+FEFF vanish.
std::vector<std::string> OnmtAggressiveTokenize(std::string_view text);

// BasicTokenizer.tokenize_chinese_chars: spaces around CJK ideographs.
std::string SpaceCjkIdeographs(std::string_view text);

// The vendored BurmeseTokenizer (syllable units with asat merging and
// virama-stack gluing), including its list-index quirks.
std::vector<std::string> BurmeseSyllables(std::string_view text);

// The full pipeline for one text. lang "th" uses `thai` (which must be
// non-null then), "my" the Burmese splitter, anything else the OpenNMT
// fallback (also used when th/my produce no token for a non-empty text).
std::vector<std::string> RougeTokenize(std::string_view text, std::string_view lang,
                                       const ThaiSegmenter* thai);

// RougeTokenize's tokens as runs of code points in one buffer, which per-row
// scoring reuses: no string per token, and no UTF-8 encoding (the encoding
// is one-to-one, so tokens compare equal exactly when their UTF-8 does).
struct RougeTokens {
  std::u32string chars;
  std::vector<std::pair<uint32_t, uint32_t>> spans;  // offset into `chars`, length

  size_t size() const { return spans.size(); }
  bool empty() const { return spans.empty(); }
  std::u32string_view operator[](size_t i) const {
    return std::u32string_view(chars).substr(spans[i].first, spans[i].second);
  }
  void clear() {
    chars.clear();
    spans.clear();
  }
};

// RougeTokenize into `out` (cleared first).
void RougeTokenize(std::string_view text, std::string_view lang, const ThaiSegmenter* thai, RougeTokens* out);

}  // namespace bhasa::metrics
