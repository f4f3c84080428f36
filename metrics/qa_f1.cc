#include "metrics/qa_f1.h"

#include <algorithm>

#include <tbb/parallel_for.h>

#include "common/error.h"
#include "common/pystr.h"
#include "metrics/extract.h"
#include "metrics/thai_segment.h"

namespace bhasa::metrics {

namespace {

// lower() without string.punctuation, as code points.
std::u32string LowerWithoutPunct(std::string_view s) {
  std::u32string lowered = py::Decode(py::Lower(s));
  std::erase_if(lowered, [](char32_t c) { return py::IsAsciiPunct(c); });
  return lowered;
}

// normalize_answer(s).split(): the words of LowerWithoutPunct(s). Joined by
// single spaces they are normalize_answer(s), so two answers normalize
// equally exactly when their words are equal.
std::vector<std::string> NormalizedWords(std::string_view s) {
  const std::u32string text = LowerWithoutPunct(s);
  std::vector<std::string> words;
  for (size_t i = 0; i < text.size();) {
    while (i < text.size() && py::IsSpace(text[i])) ++i;
    size_t j = i;
    while (j < text.size() && !py::IsSpace(text[j])) ++j;
    if (j > i) words.push_back(py::Encode(std::u32string_view(text).substr(i, j - i)));
    i = j;
  }
  return words;
}

// SQuAD's F1 over two word lists: the common words are the multiset
// intersection, sum over words of min(count in pred, count in gold).
template <class Word>
double WordsF1(std::vector<Word> pred, std::vector<Word> gold) {
  std::sort(pred.begin(), pred.end());
  std::sort(gold.begin(), gold.end());
  long common = 0;
  for (auto p = pred.begin(), g = gold.begin(); p != pred.end() && g != gold.end();) {
    if (*p < *g) {
      ++p;
    } else if (*g < *p) {
      ++g;
    } else {
      ++common, ++p, ++g;
    }
  }
  if (common == 0) return 0.0;
  double p = static_cast<double>(common) / pred.size();
  double r = static_cast<double>(common) / gold.size();
  return 2 * p * r / (p + r);
}

}  // namespace

std::string NormalizeAnswer(std::string_view s) { return py::CollapseWhitespace(py::Encode(LowerWithoutPunct(s))); }

double TokenF1(std::string_view prediction, std::string_view gold) {
  return WordsF1(NormalizedWords(prediction), NormalizedWords(gold));
}

bool ExactMatch(std::string_view prediction, std::string_view gold) {
  return NormalizedWords(prediction) == NormalizedWords(gold);
}

std::vector<std::string> GoldAnswers(const ScoreItem& item) {
  if (item.label.is_string()) return {item.label.get<std::string>()};
  if (!item.label.is_array())
    throw Error("item '" + item.id + "': field 'label' must be a string or a list of strings, got " +
                std::string(item.label.type_name()));
  std::vector<std::string> out;
  for (const auto& g : item.label) {
    if (!g.is_string())
      throw Error("item '" + item.id + "': every gold answer in 'label' must be a string, got " +
                  std::string(g.type_name()));
    out.push_back(g.get<std::string>());
  }
  if (out.empty()) throw Error("item '" + item.id + "': field 'label' is an empty list");
  return out;
}

std::string ThaiDictOption(const ScoreOptions& opts) {
  const auto& o = opts.options;
  if (o.is_object() && o.contains("thai_dict") && o["thai_dict"].is_string()) return o["thai_dict"];
  return "";
}

namespace {

// " ".join(segment(text)). Valid UTF-8 goes through the segmenter's token
// ends; other text as it is, since ICU replaces bad bytes in its own way.
std::string JoinSegments(const ThaiSegmenter& seg, std::string_view text) {
  if (!py::IsValidUtf8(text)) {
    std::string out;
    for (const auto& t : seg.Segment(text)) {
      if (!out.empty()) out.push_back(' ');
      out += t;
    }
    return out;
  }
  const std::u32string chars = py::Decode(text);
  thread_local std::vector<size_t> ends;
  seg.TokenEnds(chars, &ends);
  std::string out;
  for (size_t i = 0, prev = 0; i < ends.size(); prev = ends[i++]) {
    if (i > 0) out.push_back(' ');
    for (size_t k = prev; k < ends[i]; ++k) py::AppendUtf8(out, chars[k]);
  }
  return out;
}

// The words of normalize_answer(" ".join(segment(text))), as views of the
// object's one buffer of code points, for the Thai rows. For valid text of
// ASCII and Thai characters only (lower() changes only A-Z there), the words
// come from the segments' ends in one pass over the code points; other text
// takes the way of strings.
class ThaiWords {
 public:
  ThaiWords(const ThaiSegmenter& seg, std::string_view text) {
    bool simple = py::IsValidUtf8(text);
    thread_local std::u32string decoded;
    if (simple) {
      py::DecodeTo(text, &decoded);
      simple = std::all_of(decoded.begin(), decoded.end(),
                           [](char32_t c) { return c < 0x80 || (c >= 0x0E00 && c <= 0x0E7F); });
    }
    if (simple) {
      thread_local std::vector<size_t> ends;
      seg.TokenEnds(decoded, &ends);
      size_t start = 0;  // of the word being read, in chars_
      auto close = [&] {
        if (chars_.size() > start) spans_.emplace_back(start, chars_.size() - start);
        start = chars_.size();
      };
      for (size_t i = 0, t = 0; i < decoded.size(); ++i) {
        for (; t < ends.size() && ends[t] <= i; ++t) close();  // " ".join: a space between segments
        char32_t c = decoded[i];
        if (c >= U'A' && c <= U'Z') c += U'a' - U'A';
        if (py::IsAsciiPunct(c)) continue;
        if (py::IsSpace(c)) close();
        else chars_.push_back(c);
      }
      close();
    } else {
      for (const auto& w : NormalizedWords(JoinSegments(seg, text))) {
        const std::u32string u = py::Decode(w);
        spans_.emplace_back(chars_.size(), u.size());
        chars_ += u;
      }
    }
    words_.clear();
    for (const auto& [at, n] : spans_) words_.push_back(std::u32string_view(chars_).substr(at, n));
  }
  const std::vector<std::u32string_view>& words() const { return words_; }

 private:
  std::u32string chars_;
  std::vector<std::pair<size_t, size_t>> spans_;
  std::vector<std::u32string_view> words_;
};

// Python's str.strip(".") then lower(); used by found_in_prediction.
std::string StripDotsLower(std::string_view s) { return py::StripChars(py::Lower(s), U"."); }

}  // namespace

const ScorerInfo& QaScorer::info() const {
  static const ScorerInfo kInfo{"qa", "normalized_f1", true,
                                "SEA-HELM extractive QA: token F1 (max over gold answers; th segmented)",
                                "response|responses, label|answers (string or list); --answer-tag, --lang, --thai-dict",
                                ScoreScale::kFraction};
  return kInfo;
}

ScoreResult QaScorer::Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const {
  RestOfLineExtractor extractor(opts.answer_tag);
  std::shared_ptr<const ThaiSegmenter> thai;
  if (opts.lang == "th") thai = ThaiSegmenterFor(ThaiDictOption(opts));
  std::vector<std::vector<std::string>> golds;
  golds.reserve(items.size());
  for (const auto& item : items) golds.push_back(GoldAnswers(item));
  ScoreResult out;
  out.items.resize(items.size());
  struct RowScore {
    double f1 = 0;
    bool em = false, found = false;
  };
  std::vector<RowScore> scores(items.size());
  // Rows are independent; the sums below run in row order, as upstream's do.
  tbb::parallel_for(size_t{0}, items.size(), [&](size_t i) {
    ItemResult& r = out.items[i];
    RowScore& s = scores[i];
    r.cleaned = extractor.Extract(FirstTurn(items[i], opts));
    // Each answer is normalized once, for both F1 and exact match.
    if (thai) {  // quirk Q2: the first gold answer only
      const ThaiWords pred(*thai, r.cleaned), gold(*thai, golds[i][0]);
      s.f1 = WordsF1(pred.words(), gold.words());
      s.em = pred.words() == gold.words();
    } else {
      const auto pred = NormalizedWords(r.cleaned);
      for (const auto& g : golds[i]) {
        const auto gold = NormalizedWords(g);
        s.f1 = std::max(s.f1, WordsF1(pred, gold));
        s.em = s.em || pred == gold;
      }
    }
    s.found = StripDotsLower(r.cleaned).find(StripDotsLower(golds[i][0])) != std::string::npos;
    r.individual_scores = {{"normalized_f1", s.f1}};  // quirk Q5: a fraction
    r.details = {{"f1", s.f1}, {"exact_match", s.em}};
  });
  double f1_sum = 0, em_sum = 0;
  long found = 0, nulls = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    f1_sum += scores[i].f1;
    em_sum += scores[i].em ? 1 : 0;
    found += scores[i].found ? 1 : 0;
    nulls += out.items[i].cleaned.empty() ? 1 : 0;
  }
  const double n = static_cast<double>(items.size());
  double f1 = n > 0 ? 100.0 * f1_sum / n : 0.0;
  out.metrics = {{"f1", f1},
                 {"exact_match", n > 0 ? 100.0 * em_sum / n : 0.0},
                 {"normalized_f1", NormalizeScore(f1, 0, 1)},
                 {"found_in_prediction", n > 0 ? 100.0 * found / n : 0.0},
                 {"null_count", nulls}};
  return out;
}

namespace {
const RegisterScorer kRegister("qa", [] { return std::make_unique<QaScorer>(); });
}  // namespace

}  // namespace bhasa::metrics
