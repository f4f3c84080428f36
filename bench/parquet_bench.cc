// Parquet reading throughput: rows/s for 100k SEA-HELM-shaped rows (id,
// label, prompts list<struct<text>>, metadata struct), zstd, written by
// arrow-rs (tests/tasks/parquet_fixtures/setup.sh generates the file):
// whole rows as JSON, and the column decoding alone.
// Run: bash tests/tasks/parquet_fixtures/setup.sh &&
//      ./build/parquet_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// The file: $BHASA_PARQUET_BENCH_FILE, else build/parquet_fixtures/files/bench/seahelm_100k.parquet.
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "common/fs.h"
#include "tasks/parquet/column_reader.h"
#include "tasks/parquet/metadata.h"
#include "tasks/parquet/parquet_file.h"
#include "tasks/parquet/schema.h"

namespace {

std::string BenchFile() {
  if (const char* v = std::getenv("BHASA_PARQUET_BENCH_FILE"); v && *v) return v;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  return (exe / "parquet_fixtures/files/bench/seahelm_100k.parquet").string();
}

void BM_ReadSeaHelmParquet(benchmark::State& state) {
  const std::string path = BenchFile();
  if (!bhasa::FileExists(path)) {
    state.SkipWithError(("missing " + path + ": run tests/tasks/parquet_fixtures/setup.sh").c_str());
    return;
  }
  const std::string bytes = bhasa::ReadFile(path);
  size_t rows = 0;
  for (auto _ : state) {
    auto parsed = bhasa::tasks::parquet::ParseParquet(bytes, path);
    rows += parsed.size();
    benchmark::DoNotOptimize(parsed.data());
    // Freeing the rows is the caller's cost, not the reader's; trimming the
    // heap starts each read as a fresh process would (no consolidation of
    // the previous rows' chunks inside the timed region).
    state.PauseTiming();
    parsed = {};
    malloc_trim(0);
    state.ResumeTiming();
  }
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(bytes.size()) * state.iterations());
}
BENCHMARK(BM_ReadSeaHelmParquet)->Unit(benchmark::kMillisecond)->UseRealTime();

// The floor for the JSON part: the same 100k rows built directly as
// nlohmann::json values, no parquet involved.
void BM_BuildSeaHelmRowsDirectly(benchmark::State& state) {
  size_t rows = 0;
  for (auto _ : state) {
    std::vector<nlohmann::json> parsed(100000, nlohmann::json::object());
    for (size_t i = 0; i < parsed.size(); ++i) {
      auto& r = parsed[i];
      r["id"] = "id-" + std::to_string(i);
      r["label"] = std::string(i % 3 ? "Negatif" : "Positif");
      r["prompts"] = nlohmann::json::array({nlohmann::json::object()});
      r["prompts"][0]["text"] = "Kalimat nomor " + std::to_string(i) + ": layanan ini bagus sekali.";
      r["metadata"]["language"] = std::string("id");
    }
    rows += parsed.size();
    benchmark::DoNotOptimize(parsed.data());
    state.PauseTiming();
    parsed = {};
    malloc_trim(0);
    state.ResumeTiming();
  }
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BuildSeaHelmRowsDirectly)->Unit(benchmark::kMillisecond)->UseRealTime();

// The decoding alone (footer, pages, zstd, dictionaries, levels and values
// of every column), without building the rows' JSON.
void BM_DecodeSeaHelmColumns(benchmark::State& state) {
  namespace pq = bhasa::tasks::parquet;
  const std::string path = BenchFile();
  if (!bhasa::FileExists(path)) {
    state.SkipWithError(("missing " + path + ": run tests/tasks/parquet_fixtures/setup.sh").c_str());
    return;
  }
  const std::string bytes = bhasa::ReadFile(path);
  size_t rows = 0;
  for (auto _ : state) {
    uint32_t len;
    std::memcpy(&len, bytes.data() + bytes.size() - 8, 4);
    const pq::FileMetaData md = pq::ParseFileMetaData(std::string_view(bytes).substr(bytes.size() - 8 - len, len));
    const auto leaves = pq::BuildLeaves(md.schema);
    for (const auto& g : md.row_groups) {
      for (size_t c = 0; c < leaves.size(); ++c) {
        auto data = pq::ReadColumnChunk(bytes, g.columns[c], leaves[c]);
        benchmark::DoNotOptimize(data.values.size());
      }
      rows += static_cast<size_t>(g.num_rows);
    }
  }
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeSeaHelmColumns)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
