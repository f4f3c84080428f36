// VecDot (SIMD dispatch) vs VecDotRef (scalar) for every weight type, one row
// of 4096 elements (the Llama-3-8B hidden size), activation pre-quantized.
// BM_Block: one CpuMatmul work item (16 weight rows x 32 tokens of 2048) as a
// loop of VecDotBatched vs one VecDotTile.
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "backends/native/ggml_types.h"

namespace {

using bhasa::native::GgmlType;

template <bool kRef>
void BM_VecDot(benchmark::State& state) {
  const auto t = static_cast<GgmlType>(state.range(0));
  const int64_t n = 4096;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  std::vector<float> w(n), x(n);
  for (auto& v : w) v = nd(rng) * 0.05f;
  for (auto& v : x) v = nd(rng);
  std::vector<uint8_t> wq(bhasa::native::RowBytes(t, n));
  std::vector<uint8_t> aq(bhasa::native::RowBytes(bhasa::native::VecDotType(t), n));
  bhasa::native::QuantizeRow(t, w.data(), wq.data(), n);
  bhasa::native::QuantizeActivation(t, x.data(), aq.data(), n);
  for (auto _ : state) {
    float r = kRef ? bhasa::native::VecDotRef(t, wq.data(), aq.data(), n)
                   : bhasa::native::VecDot(t, wq.data(), aq.data(), n);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetLabel(std::string(bhasa::native::TypeName(t)) + (kRef ? " scalar" : std::string(" ") + bhasa::native::VecDotTarget()));
}

template <bool kTile>
void BM_Block(benchmark::State& state) {
  const auto t = static_cast<GgmlType>(state.range(0));
  const int64_t n = 2048;
  const int n_rows = 16, n_acts = 32;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  const size_t wb = bhasa::native::RowBytes(t, n), ab = bhasa::native::RowBytes(bhasa::native::VecDotType(t), n);
  std::vector<uint8_t> wq(wb * n_rows), aq(ab * n_acts);
  std::vector<float> f(n);
  std::vector<const void*> rows(n_rows), acts(n_acts);
  for (int r = 0; r < n_rows; ++r) {
    for (auto& v : f) v = nd(rng) * 0.05f;
    bhasa::native::QuantizeRow(t, f.data(), wq.data() + r * wb, n);
    rows[r] = wq.data() + r * wb;
  }
  for (int a = 0; a < n_acts; ++a) {
    for (auto& v : f) v = nd(rng);
    bhasa::native::QuantizeActivation(t, f.data(), aq.data() + a * ab, n);
    acts[a] = aq.data() + a * ab;
  }
  std::vector<float> out(n_rows * n_acts);
  for (auto _ : state) {
    if (!kTile || !bhasa::native::VecDotTile(t, rows.data(), n_rows, acts.data(), n_acts, n, out.data(), n_rows)) {
      for (int r = 0; r < n_rows; ++r)
        for (int a = 0; a < n_acts; ++a) out[a * n_rows + r] = bhasa::native::VecDotBatched(t, rows[r], acts[a], n);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * n * n_rows * n_acts);
  state.SetLabel(std::string(bhasa::native::TypeName(t)) + (kTile ? " tile" : " loop"));
}

void PromptTypes(benchmark::internal::Benchmark* b) {
  for (GgmlType t : {GgmlType::F16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q4_K, GgmlType::Q6_K})
    b->Arg(static_cast<int64_t>(t));
}

BENCHMARK(BM_Block<false>)->Apply(PromptTypes);
BENCHMARK(BM_Block<true>)->Apply(PromptTypes);

void Types(benchmark::internal::Benchmark* b) {
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0,
                     GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K})
    b->Arg(static_cast<int64_t>(t));
}

BENCHMARK(BM_VecDot<false>)->Apply(Types);
BENCHMARK(BM_VecDot<true>)->Apply(Types);

}  // namespace

BENCHMARK_MAIN();
