// Tokenizer throughput on the Llama 3 fixture texts (cases.jsonl), reported
// as tokens/s (items) and bytes/s; 5 repetitions, median reported.
//   ./tokenizer_bench [--benchmark_filter=...]   ($BHASA_SHARED_DIR or ../shared beside the checkout)
#include <cstdlib>
#include <filesystem>
#include <memory>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "backends/native/vocab.h"
#include "backends/native/vocab_bpe.h"
#include "common/jsonl.h"

namespace {

using bhasa::native::Vocab;

std::string SharedDir() {
  if (const char* env = std::getenv("BHASA_SHARED_DIR"); env && *env) return env;
  return (std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "shared").string();
}

struct Fixture {
  std::unique_ptr<Vocab> vocab;
  std::vector<std::string> texts;
  std::string joined;
};

const Fixture* Load() {
  static const Fixture* f = [] {
    auto* fx = new Fixture;
    std::string dir = SharedDir() + "/fixtures/llama3-tokenizer";
    if (!std::filesystem::exists(dir + "/tokenizer.json")) return fx;
    fx->vocab = std::make_unique<Vocab>(Vocab::Load(dir));
    bhasa::ReadJsonl(dir + "/cases.jsonl", [&](nlohmann::json& c, long) {
      fx->texts.push_back(c["text"].get<std::string>());
      fx->joined += fx->texts.back() + "\n";
    });
    return fx;
  }();
  return f;
}

void BM_TokenizeCases(benchmark::State& state) {
  const Fixture* f = Load();
  if (!f->vocab) return state.SkipWithError("fixtures/llama3-tokenizer not found (set BHASA_SHARED_DIR)");
  int64_t tokens = 0, bytes = 0;
  for (auto _ : state) {
    for (const std::string& t : f->texts) {
      auto ids = f->vocab->Tokenize(t, false, true);
      tokens += static_cast<int64_t>(ids.size());
      bytes += static_cast<int64_t>(t.size());
      benchmark::DoNotOptimize(ids.data());
    }
  }
  state.SetItemsProcessed(tokens);
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_TokenizeCases)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMillisecond);

// All texts as one document: long inputs, fewer calls.
void BM_TokenizeJoined(benchmark::State& state) {
  const Fixture* f = Load();
  if (!f->vocab) return state.SkipWithError("fixtures/llama3-tokenizer not found (set BHASA_SHARED_DIR)");
  int64_t tokens = 0;
  for (auto _ : state) {
    auto ids = f->vocab->Tokenize(f->joined, false, true);
    tokens += static_cast<int64_t>(ids.size());
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetItemsProcessed(tokens);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(f->joined.size()));
}
BENCHMARK(BM_TokenizeJoined)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMillisecond);

void BM_PreTokenizeJoined(benchmark::State& state) {
  const Fixture* f = Load();
  if (f->joined.empty()) return state.SkipWithError("fixtures/llama3-tokenizer not found (set BHASA_SHARED_DIR)");
  for (auto _ : state) {
    auto pieces = bhasa::native::PreTokenize(bhasa::native::PreTokenizer::kLlama3, f->joined);
    benchmark::DoNotOptimize(pieces.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(f->joined.size()));
}
BENCHMARK(BM_PreTokenizeJoined)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);

void BM_Detokenize(benchmark::State& state) {
  const Fixture* f = Load();
  if (!f->vocab) return state.SkipWithError("fixtures/llama3-tokenizer not found (set BHASA_SHARED_DIR)");
  auto ids = f->vocab->Tokenize(f->joined, false, true);
  for (auto _ : state) {
    std::string text = f->vocab->Detokenize(ids, true);
    benchmark::DoNotOptimize(text.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(ids.size()));
}
BENCHMARK(BM_Detokenize)->Repetitions(5)->ReportAggregatesOnly(true)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
