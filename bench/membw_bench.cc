// Main-memory bandwidth: streaming reads (a sum over a buffer far larger than
// the caches, the access pattern of a decode step reading every weight once)
// and memcpy (read plus write), per thread count. bench/compare-llamacpp.sh
// divides a model's weight bytes per token by BM_Read's bytes_per_second to
// get the generation speed floor.
#include <cstdint>
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

namespace {

// Per thread, so two threads stream twice as much; 256 MiB is past any L3.
constexpr size_t kBytes = size_t{256} << 20;

void BM_Read(benchmark::State& state) {
  std::vector<uint64_t> buf(kBytes / sizeof(uint64_t), 1);
  for (auto _ : state) {
    // Four independent sums keep several loads in flight.
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i < buf.size(); i += 4) {
      s0 += buf[i];
      s1 += buf[i + 1];
      s2 += buf[i + 2];
      s3 += buf[i + 3];
    }
    benchmark::DoNotOptimize(s0 + s1 + s2 + s3);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBytes));
}

void BM_Copy(benchmark::State& state) {
  std::vector<char> src(kBytes, 1), dst(kBytes);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), kBytes);
    benchmark::ClobberMemory();
  }
  // Bytes read plus bytes written.
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 2 * kBytes));
}

BENCHMARK(BM_Read)->Threads(1)->Threads(2)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_Copy)->Threads(1)->Threads(2)->UseRealTime()->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
