// CpuKernels().matmul alone, on Llama-3.2-1B's attention projection shape
// (2048 x 2048), FFN gate shape (8192 rows x 2048 cols) and FFN down shape
// (2048 x 8192): one activation row (GEMV, the
// generation step; reported as weight GB/s), 8 rows (a batched generation
// step) and 64 or 512 rows (GEMM, a prompt); the batches are reported as
// multiply-adds/s. Threads: BHASA_BENCH_THREADS (default 2).
//   build/matmul_bench --benchmark_filter='BM_Matmul/8/' --benchmark_repetitions=3
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include "backends/native/ggml_types.h"
#include "backends/native/kernels.h"

namespace {

using bhasa::native::GgmlType;

int Threads() {
  const char* env = std::getenv("BHASA_BENCH_THREADS");
  return env ? std::atoi(env) : 2;
}

void BM_Matmul(benchmark::State& state) {
  const auto type = static_cast<GgmlType>(state.range(0));
  const int64_t rows = state.range(1), cols = state.range(2), n_tok = state.range(3);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  const size_t rb = bhasa::native::RowBytes(type, cols);
  std::vector<uint8_t> bytes(rb * rows);
  std::vector<float> f(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : f) v = nd(rng) * 0.05f;
    bhasa::native::QuantizeRow(type, f.data(), bytes.data() + r * rb, cols);
  }
  bhasa::native::TensorInfo w;
  w.name = "w";
  w.type = type;
  w.ne = {cols, rows};
  w.data = bytes.data();
  w.bytes = bytes.size();
  std::vector<float> x(n_tok * cols), out(n_tok * rows);
  for (auto& v : x) v = nd(rng);
  tbb::task_arena arena(Threads());
  for (auto _ : state) {
    arena.execute([&] { bhasa::native::CpuKernels().matmul(w, x.data(), n_tok, out.data()); });
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  if (n_tok == 1) {
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  } else {
    state.SetItemsProcessed(state.iterations() * rows * cols * n_tok);
  }
  state.SetLabel(std::string(bhasa::native::TypeName(type)) + " " + bhasa::native::VecDotTarget());
}

void Shapes(benchmark::internal::Benchmark* b) {
  for (GgmlType t : {GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_K, GgmlType::Q6_K})
    for (int64_t n_tok : {1, 8, 64, 512}) {
      b->Args({static_cast<int64_t>(t), 2048, 2048, n_tok});
      b->Args({static_cast<int64_t>(t), 8192, 2048, n_tok});
      b->Args({static_cast<int64_t>(t), 2048, 8192, n_tok});
    }
}

BENCHMARK(BM_Matmul)->Apply(Shapes)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
