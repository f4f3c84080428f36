#include "metrics/rouge_l.h"

#include <algorithm>
#include <bit>
#include <string_view>
#include <utility>

#include <tbb/parallel_for.h>

#include "common/error.h"
#include "metrics/extract.h"
#include "metrics/mt19937_blocks.h"
#include "metrics/qa_f1.h"
#include "metrics/rouge_tokenize.h"
#include "metrics/thai_segment.h"

namespace bhasa::metrics {

namespace {

template <class View>
uint64_t TokenHash(View t) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the characters
  for (const auto c : t) h = (h ^ static_cast<uint64_t>(c)) * 0x100000001b3ull;
  return h;
}

// Bit-parallel LCS (Allison-Dix, in Hyyro's form): bit i of `v` is 0 where
// position i of `a` ends a new LCS length; each token of `b` updates every
// position at once, v = (v + (v & m)) | (v & ~m), with m the positions of `a`
// holding that token. The LCS is the number of zero bits. Multiword masks
// carry the addition from word to word. View is how a token compares.
template <class View, class Tokens>
size_t Lcs(const Tokens& a, const Tokens& b) {
  if (a.empty() || b.empty()) return 0;
  const size_t words = (a.size() + 63) / 64;
  // a's distinct tokens in an open-addressing table (load at most 1/2), each
  // with the row of its mask; b's tokens look theirs up. Scratch is reused
  // per thread.
  struct Slot {
    uint64_t hash;
    uint32_t token;  // where in `a` the token first occurs
    uint32_t row;    // kEmpty: a free slot
  };
  constexpr uint32_t kEmpty = ~uint32_t{0};
  thread_local std::vector<Slot> table;
  thread_local std::vector<uint64_t> masks, v;
  table.assign(std::bit_ceil(std::max<size_t>(16, 2 * a.size())), Slot{0, 0, kEmpty});
  const unsigned shift = 64 - static_cast<unsigned>(std::countr_zero(table.size()));
  const size_t slot_mask = table.size() - 1;
  // The slot holding `t`, or the free slot where it would go.
  auto find = [&](View t, uint64_t h) -> Slot& {
    for (size_t i = (h * 0x9e3779b97f4a7c15ull) >> shift;; i = (i + 1) & slot_mask) {
      Slot& s = table[i];
      if (s.row == kEmpty || (s.hash == h && View(a[s.token]) == t)) return s;
    }
  };
  masks.assign(a.size() * words, 0);  // row k: the positions of the k-th distinct token
  uint32_t distinct = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const View t(a[i]);
    const uint64_t h = TokenHash(t);
    Slot& s = find(t, h);
    if (s.row == kEmpty) s = Slot{h, static_cast<uint32_t>(i), distinct++};
    masks[s.row * words + i / 64] |= uint64_t{1} << (i % 64);
  }
  v.assign(words, ~uint64_t{0});
  for (size_t j = 0; j < b.size(); ++j) {
    const View t(b[j]);
    const Slot& s = find(t, TokenHash(t));
    if (s.row == kEmpty) continue;  // no match: v is unchanged
    const uint64_t* m = &masks[s.row * words];
    bool carry = false;
    for (size_t w = 0; w < words; ++w) {
      const uint64_t x = v[w] & m[w], y = v[w] & ~m[w];
      uint64_t sum;
      const bool c1 = __builtin_add_overflow(v[w], x, &sum);
      const bool c2 = __builtin_add_overflow(sum, uint64_t{carry}, &sum);
      carry = c1 || c2;
      v[w] = sum | y;
    }
  }
  size_t zeros = 0;
  for (size_t w = 0; w < words; ++w) {
    const size_t bits = w + 1 < words ? 64 : a.size() - 64 * w;
    const uint64_t live = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    zeros += static_cast<size_t>(__builtin_popcountll(~v[w] & live));
  }
  return zeros;
}

RougeScore FromLcs(size_t lcs_length, size_t target_size, size_t prediction_size) {
  RougeScore s;
  if (target_size == 0 || prediction_size == 0) return s;
  const double lcs = static_cast<double>(lcs_length);
  s.precision = lcs / prediction_size;
  s.recall = lcs / target_size;
  s.fmeasure = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0.0;
  return s;
}

}  // namespace

size_t LcsLength(std::span<const std::string> a, std::span<const std::string> b) {
  return Lcs<std::string_view>(a, b);
}

RougeScore ScoreLcs(std::span<const std::string> target, std::span<const std::string> prediction) {
  return FromLcs(LcsLength(target, prediction), target.size(), prediction.size());
}

RougeScore ScoreLcs(const RougeTokens& target, const RougeTokens& prediction) {
  return FromLcs(Lcs<std::u32string_view>(target, prediction), target.size(), prediction.size());
}

RougeScore BootstrapMedian(std::span<const RougeScore> rows, int n_samples, uint32_t seed) {
  RougeScore mid;
  const size_t n = rows.size();
  if (n == 0 || n_samples <= 0) return mid;
  Mt19937Blocks gen(seed);  // numpy's legacy seed(4156) is init_genrand(4156)
  std::span<const uint32_t> block;
  size_t used = 0;  // words of `block` consumed
  // numpy's randint(0, n): masked draws from the one stream, rejecting those
  // above n - 1. A batch of resamples is drawn serially (the stream has one
  // order), then each resample is summed on its own, in its draw order, so the
  // means do not depend on how the sums are scheduled.
  const uint32_t rng = static_cast<uint32_t>(n - 1);
  uint32_t mask = rng;
  for (int s = 1; s < 32; s <<= 1) mask |= mask >> s;
  std::array<std::vector<double>, 3> means;
  for (auto& m : means) m.resize(n_samples);
  constexpr int kBatch = 64;
  std::vector<uint32_t> draws;
  for (int k0 = 0; k0 < n_samples; k0 += kBatch) {
    const int batch = std::min(kBatch, n_samples - k0);
    const size_t need = static_cast<size_t>(batch) * n;
    draws.resize(need);
    if (rng == 0) {
      std::fill(draws.begin(), draws.end(), 0);  // one row: numpy draws nothing
    } else {
      // Branch-free rejection: a rejected draw is overwritten by the next.
      // Each word gives at most one draw, so `need - got` words never overshoot.
      for (size_t got = 0; got < need;) {
        if (used == block.size()) block = gen.Next(), used = 0;
        const size_t end = std::min(block.size(), used + (need - got));
        for (; used < end; ++used) {
          const uint32_t v = block[used] & mask;
          draws[got] = v;
          got += v <= rng;
        }
      }
    }
    tbb::parallel_for(0, batch, [&](int b) {
      double sp = 0, sr = 0, sf = 0;
      for (size_t i = 0; i < n; ++i) {
        const RougeScore& row = rows[draws[b * n + i]];
        sp += row.precision;
        sr += row.recall;
        sf += row.fmeasure;
      }
      means[0][k0 + b] = sp / n;
      means[1][k0 + b] = sr / n;
      means[2][k0 + b] = sf / n;
    });
  }
  // np.percentile(x, 50) (method "linear"): virtual index q*(N-1).
  double idx = 0.5 * (n_samples - 1);
  size_t lo = static_cast<size_t>(idx);
  double t = idx - lo;
  std::array<double, 3> out{};
  for (int c = 0; c < 3; ++c) {
    auto& v = means[c];
    std::sort(v.begin(), v.end());
    double a = v[lo], b = v[std::min(lo + 1, v.size() - 1)];
    double diff = b - a;
    out[c] = t >= 0.5 ? b - diff * (1 - t) : a + diff * t;  // numpy's _lerp
  }
  mid.precision = out[0];
  mid.recall = out[1];
  mid.fmeasure = out[2];
  return mid;
}

const ScorerInfo& RougeLScorer::info() const {
  static const ScorerInfo kInfo{"rouge_l", "normalized_rougel_f1", true,
                                "SEA-HELM summarization ROUGE-L (multilingual tokenization, bootstrap median)",
                                "response|responses, label|reference (string); --answer-tag, --lang, --thai-dict",
                                ScoreScale::kPoints};
  return kInfo;
}

ScoreResult RougeLScorer::Score(std::span<const ScoreItem> items, const ScoreOptions& opts) const {
  RestOfLineExtractor extractor(opts.answer_tag);
  std::shared_ptr<const ThaiSegmenter> thai;
  if (opts.lang == "th") thai = ThaiSegmenterFor(ThaiDictOption(opts));
  std::vector<std::string> refs;
  refs.reserve(items.size());
  for (const auto& item : items) {
    if (item.label.is_string())
      refs.push_back(item.label.get<std::string>());
    else if (item.label.is_array() && !item.label.empty() && item.label[0].is_string())
      refs.push_back(item.label[0].get<std::string>());
    else
      throw Error("item '" + item.id + "': field 'label' must be a reference string, got " +
                  std::string(item.label.type_name()));
  }
  ScoreResult out;
  out.items.resize(items.size());
  std::vector<RougeScore> rows(items.size());
  // Rows are independent until the bootstrap, which runs over them in order.
  tbb::parallel_for(size_t{0}, items.size(), [&](size_t i) {
    ItemResult& r = out.items[i];
    r.cleaned = extractor.Extract(FirstTurn(items[i], opts));
    thread_local RougeTokens target, pred;  // buffers reused from row to row
    RougeTokenize(refs[i], opts.lang, thai.get(), &target);
    RougeTokenize(r.cleaned, opts.lang, thai.get(), &pred);
    const RougeScore s = rows[i] = ScoreLcs(target, pred);
    r.individual_scores = {{"normalized_rougel_f1", 100.0 * s.fmeasure}};
    r.details = {{"rougel_precision", 100.0 * s.precision}, {"rougel_recall", 100.0 * s.recall}};
  });
  const long nulls = std::count_if(out.items.begin(), out.items.end(), [](const ItemResult& r) { return r.cleaned.empty(); });
  RougeScore mid = BootstrapMedian(rows);
  out.metrics = {{"rougel_precision", 100.0 * mid.precision},
                 {"rougel_recall", 100.0 * mid.recall},
                 {"rougel_f1", 100.0 * mid.fmeasure},
                 {"normalized_rougel_f1", 100.0 * NormalizeScore(mid.fmeasure, 0, 1)},
                 {"null_count", nulls}};
  return out;
}

namespace {
const RegisterScorer kRegister("rouge_l", [] { return std::make_unique<RougeLScorer>(); });
}  // namespace

}  // namespace bhasa::metrics
