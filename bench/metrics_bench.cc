// Scoring throughput: 10,000 synthetic responses per scorer family.
// Run: ./metrics_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "metrics/scorer.h"

namespace {

using bhasa::metrics::ScoreItem;
using bhasa::metrics::ScoreOptions;

constexpr int kItems = 10000;

const char* kWords[] = {"presiden", "jokowi", "berkata", "hari", "ini", "pemerintah", "akan", "membangun",
                        "jalan", "baru", "di", "jakarta", "dan", "surabaya", "tahun", "2024", "rakyat",
                        "indonesia", "ekonomi", "tumbuh"};

std::string Sentence(std::mt19937& gen, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? " " : "") + std::string(kWords[gen() % 20]);
  return s + ".";
}

std::vector<ScoreItem> Make(const std::string& family) {
  std::mt19937 gen(42);
  std::vector<ScoreItem> items(kItems);
  const char* labels[] = {"Positif", "Negatif", "Netral"};
  for (int i = 0; i < kItems; ++i) {
    auto& it = items[i];
    it.id = std::to_string(i);
    if (family == "classification") {
      it.responses = {"Sentimen kalimat ini adalah... Jawaban: " + std::string(labels[gen() % 3])};
      it.label = labels[gen() % 3];
    } else if (family == "qa") {
      it.responses = {"Jawaban: " + Sentence(gen, 2 + gen() % 10)};
      it.label = nlohmann::json::array({Sentence(gen, 1 + gen() % 4), Sentence(gen, 2)});
    } else if (family == "chrf") {
      it.responses = {"Terjemahan: " + Sentence(gen, 10 + gen() % 20)};
      it.label = Sentence(gen, 10 + gen() % 20);
    } else {  // rouge_l: summary-length texts
      it.responses = {"Rangkuman: " + Sentence(gen, 30 + gen() % 30)};
      it.label = Sentence(gen, 30 + gen() % 30);
    }
  }
  return items;
}

void BM_Score(benchmark::State& state, const std::string& scorer_name, const std::string& family,
              const std::string& tag) {
  auto items = Make(family);
  auto scorer = bhasa::metrics::MakeScorer(scorer_name);
  ScoreOptions opts;
  opts.lang = "id";
  opts.answer_tag = tag;
  for (auto _ : state) {
    auto r = scorer->Score(items, opts);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * kItems);
}

BENCHMARK_CAPTURE(BM_Score, classification, "classification", "classification", "Jawaban:")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Score, qa, "qa", "qa", "Jawaban:")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Score, chrf, "chrf", "chrf", "Terjemahan:")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Score, rouge_l, "rouge_l", "rouge_l", "Rangkuman:")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
