// Scoring throughput: 10,000 synthetic SEA-IFEval and English IFEval
// responses, and 10,000 MT-Bench questions' verdicts. Reports items/s;
// run with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// for medians.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "metrics/scorer.h"

namespace {

using bhasa::metrics::MakeScorer;
using bhasa::metrics::ScoreItem;
using bhasa::metrics::ScoreOptions;

constexpr int kItems = 10000;

std::string SyntheticResponse(std::mt19937& rng) {
  static const std::vector<std::string> words = {"saya", "suka", "makan", "nasi", "goreng", "di", "rumah",
                                                 "bersama", "keluarga", "setiap", "hari", "minggu"};
  std::string s = "<<Judul>>\n";
  for (int p = 0; p < 3; ++p) {
    for (int w = 0; w < 40; ++w) s += words[rng() % words.size()] + (w % 9 == 8 ? ". " : " ");
    s += "\n* poin **penting**\n***\n";
  }
  return s + "P.S. terima kasih";
}

std::vector<ScoreItem> SeaItems() {
  std::mt19937 rng(7);
  const std::vector<std::pair<std::string, nlohmann::json>> ids = {
      {"length_constraints:number_words", {{"relation", "at least"}, {"num_words", 100}}},
      {"length_constraints:number_paragraphs", {{"num_paragraphs", 3}}},
      {"detectable_content:postscript", {{"postscript_marker", "P.S."}}},
      {"detectable_format:title", nlohmann::json::object()},
      {"detectable_format:number_bullet_lists", {{"num_bullets", 3}}},
      {"keywords:existence", {{"keywords", {"nasi", "goreng"}}}},
      {"keywords:frequency", {{"keyword", "saya"}, {"relation", "at least"}, {"frequency", 3}}},
      {"detectable_format:number_highlighted_sections", {{"num_highlights", 2}}},
  };
  std::vector<ScoreItem> items(kItems);
  for (int i = 0; i < kItems; ++i) {
    const auto& [id, kw] = ids[i % ids.size()];
    items[i].id = std::to_string(i);
    items[i].responses = {SyntheticResponse(rng)};
    items[i].row = {{"metadata", {{"category", id.substr(0, id.find(':'))}, {"subcategory", id}}},
                    {"kwargs", nlohmann::json::array({kw})}};
  }
  return items;
}

void BM_SeaIfeval(benchmark::State& state) {
  const auto items = SeaItems();
  const auto scorer = MakeScorer("ifeval");
  for (auto _ : state) benchmark::DoNotOptimize(scorer->Score(items, ScoreOptions{"id", "", nlohmann::json::object()}));
  state.SetItemsProcessed(state.iterations() * kItems);
}
BENCHMARK(BM_SeaIfeval)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_EnglishIfeval(benchmark::State& state) {
  auto items = SeaItems();
  for (auto& it : items) {
    it.row = {{"instruction_id_list", {"detectable_format:title", "punctuation:no_comma", "keywords:existence",
                                       "length_constraints:number_words"}},
              {"kwargs", {nlohmann::json::object(), nlohmann::json::object(), {{"keywords", {"nasi"}}},
                          {{"relation", "at least"}, {"num_words", 50}}}}};
  }
  const auto scorer = MakeScorer("ifeval_en");
  for (auto _ : state) benchmark::DoNotOptimize(scorer->Score(items, ScoreOptions{"en", "", nlohmann::json::object()}));
  state.SetItemsProcessed(state.iterations() * kItems);
}
BENCHMARK(BM_EnglishIfeval)->Unit(benchmark::kMillisecond)->Iterations(1);

// keywords:forbidden_words builds one pattern per word from the row's kwargs;
// the compiled-pattern cache keeps that from compiling an ICU regex per row.
void BM_EnglishIfevalForbiddenWords(benchmark::State& state) {
  auto items = SeaItems();
  for (auto& it : items)
    it.row = {{"instruction_id_list", {"keywords:forbidden_words"}},
              {"kwargs", {{{"forbidden_words", {"nasi", "goreng", "keluarga", "minggu", "rumah"}}}}}};
  const auto scorer = MakeScorer("ifeval_en");
  for (auto _ : state) benchmark::DoNotOptimize(scorer->Score(items, ScoreOptions{"en", "", nlohmann::json::object()}));
  state.SetItemsProcessed(state.iterations() * kItems);
}
BENCHMARK(BM_EnglishIfevalForbiddenWords)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_MtBench(benchmark::State& state) {
  std::mt19937 rng(11);
  const std::vector<std::string> cats = {"writing", "roleplay", "math", "reasoning", "stem"};
  const std::vector<std::string> verdicts = {"[[A]]", "[[B]]", "[[C]]", "none", "[[A]] [[B]]"};
  std::vector<ScoreItem> items(kItems);
  const std::string filler(600, 'x');
  for (int i = 0; i < kItems; ++i) {
    items[i].id = std::to_string(i);
    items[i].row = {{"metadata", {{"category", cats[i % cats.size()]}}}, {"prompts", {{{"text", "q1"}}, {{"text", "q2"}}}}};
    items[i].responses = {"r1", "r2"};
    for (int k = 0; k < 4; ++k) items[i].responses.push_back(filler + " verdict: " + verdicts[rng() % verdicts.size()]);
  }
  const auto scorer = MakeScorer("mtbench");
  for (auto _ : state) benchmark::DoNotOptimize(scorer->Score(items, ScoreOptions{}));
  state.SetItemsProcessed(state.iterations() * kItems);
}
BENCHMARK(BM_MtBench)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
