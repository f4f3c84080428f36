// VecDot (SIMD dispatch) vs VecDotRef (scalar) for every weight type, one row
// of 4096 elements (the Llama-3-8B hidden size), activation pre-quantized.
#include <random>
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

void Types(benchmark::internal::Benchmark* b) {
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0,
                     GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K})
    b->Arg(static_cast<int64_t>(t));
}

BENCHMARK(BM_VecDot<false>)->Apply(Types);
BENCHMARK(BM_VecDot<true>)->Apply(Types);

}  // namespace

BENCHMARK_MAIN();
