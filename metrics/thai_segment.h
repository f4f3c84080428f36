// Thai word segmentation for QA F1 (SPEC 7.1) and ROUGE-L (SPEC 7.6), shaped
// like pythainlp word_tokenize(engine="newmm", keep_whitespace=True,
// join_broken_num=True): whitespace runs stay as tokens and the tokens
// concatenate back to the input.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bhasa::metrics {

class ThaiSegmenter {
 public:
  virtual ~ThaiSegmenter() = default;
  // Tokens whose concatenation is `text`; [] for "". Thread-safe.
  virtual std::vector<std::string> Segment(std::string_view text) const = 0;
  // The same tokens of the decoded text, as the end offset (in code points)
  // of each in `text`, into `ends`. This default goes through Segment.
  virtual void TokenEnds(std::u32string_view text, std::vector<size_t>* ends) const;
};

// ICU's dictionary-based Thai word BreakIterator (the default when no word
// list is given). It does not segment exactly like newmm.
std::unique_ptr<ThaiSegmenter> MakeIcuThaiSegmenter();

// newmm: maximal matching over a word list, constrained by Thai Character
// Cluster boundaries, with pythainlp's non-Thai token rules and graph cutoff.
class NewmmSegmenter : public ThaiSegmenter {
 public:
  // Words are stripped; empty lines are ignored.
  explicit NewmmSegmenter(const std::vector<std::string>& words);
  ~NewmmSegmenter() override;
  // One word per line (UTF-8). Throws bhasa::Error naming the path.
  static std::unique_ptr<NewmmSegmenter> FromFile(const std::string& path);
  std::vector<std::string> Segment(std::string_view text) const override;
  void TokenEnds(std::u32string_view text, std::vector<size_t>* ends) const override;

 private:
  struct Trie;
  explicit NewmmSegmenter(std::unique_ptr<Trie> trie);
  std::unique_ptr<Trie> trie_;
};

// The segmenter for scorer options: NewmmSegmenter over options["thai_dict"]
// when it names a file (cached per path for the process), else ICU.
// Throws bhasa::Error when the file cannot be read.
std::shared_ptr<const ThaiSegmenter> ThaiSegmenterFor(const std::string& thai_dict_path);

// End offsets (in code points) of the Thai Character Clusters of `text`, as
// pythainlp tcc_p.tcc_pos computes them. Exposed for tests.
// `cached` (the default) looks matches up in a per-thread cache; false
// matches every position afresh (tests compare the two).
std::vector<size_t> TccEnds(std::u32string_view text, bool cached = true);

// pythainlp rejoin_formatted_num: re-merges tokens covering a match of
// `(\d+[.,:])+\d+` in the joined text.
std::vector<std::string> RejoinFormattedNumbers(const std::vector<std::string>& tokens);

}  // namespace bhasa::metrics
