#include "backends/native/cpu/cpu_matmul.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace bhasa::native {
namespace {

// Rows per task for one token: a generation step streams every weight once,
// so tasks only need to be long enough to amortize scheduling.
constexpr int64_t kRowsPerTaskOne = 64;
// Rows per task for a prompt: the block's weight rows stay in L1 while every
// token's converted activation (in L2) goes past them in tiles. A multiple of
// every tile kernel's row count (2, 4, 6, 8), so no block ends in a narrower
// kernel.
constexpr int64_t kRowsPerTask = 24;
constexpr int64_t kTokenTile = 64;
// Interleaved Q4_0, Q4_K and Q6_K on AMX: 16 x 16 tiles whose call repacks
// its rows once, so a block is two tiles of rows and every token goes through
// in one call.
constexpr int64_t kAmxRowsPerTask = 32;
// Interleaved Q4_0 with several tokens (the gemv kernels): each call first
// sums every token's activation blocks (the nibbles' offset), work that 24
// rows (3 groups of 8) did not amortize: 13% of an 8-sequence evaluation
// batch. 128 rows per task made that batch 15-25% faster (96 and 192 about
// the same; 128 keeps 4 tasks on the 512-row K and V matrices).
constexpr int64_t kQ4_0x8RowsPerTask = 128;
constexpr int64_t kMaxRowsPerTask = std::max({kRowsPerTaskOne, kRowsPerTask, kAmxRowsPerTask, kQ4_0x8RowsPerTask});

bool OnAmx(const TensorInfo& w, int64_t n_tokens) {
  const bool amx_type = UsesInterleavedQ4_0(w.type, w.rows()) || w.type == GgmlType::Q4_K || w.type == GgmlType::Q6_K;
  return amx_type && n_tokens >= 16 && std::string_view(VecDotTarget()) == "AMX";
}

// One block of rows [r0, r1) against every token.
void MatmulRows(const TensorInfo& w, int64_t r0, int64_t r1, const std::vector<const void*>& acts, int64_t token_tile,
                float* out) {
  const int64_t rows = w.rows(), cols = w.cols(), n_tokens = static_cast<int64_t>(acts.size());
  // Row(r) looks the type up each time: a generation step's 64-row tasks
  // spent 5% of their time there.
  const size_t row_bytes = w.row_bytes();
  const void* row_ptrs[kMaxRowsPerTask];
  for (int64_t row = r0; row < r1; ++row) row_ptrs[row - r0] = w.data + w.SourceRow(row) * row_bytes;
  const int n_rows = static_cast<int>(r1 - r0);
  // BF16 sums one row in ggml's vec_dot order and a batch in its GEMM order
  // (kernels.h); every other type has one order and a tile kernel.
  const bool tiled = w.type != GgmlType::BF16 || n_tokens >= 2;
  const bool interleaved = UsesInterleavedQ4_0(w.type, rows);
  for (int64_t t0 = 0; t0 < n_tokens; t0 += token_tile) {
    const int64_t t1 = std::min(n_tokens, t0 + token_tile);
    if (interleaved) {
      VecDotTileQ4_0x8(row_ptrs, n_rows, acts.data() + t0, static_cast<int>(t1 - t0), cols, out + t0 * rows + r0,
                       rows);
      continue;
    }
    if (tiled && VecDotTile(w.type, row_ptrs, n_rows, acts.data() + t0, static_cast<int>(t1 - t0), cols,
                            out + t0 * rows + r0, rows))
      continue;
    const auto dot = n_tokens >= 2 ? VecDotBatched : VecDot;
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t row = r0; row < r1; ++row) out[t * rows + row] = dot(w.type, row_ptrs[row - r0], acts[t], cols);
  }
}

}  // namespace

void CpuMatmul(const TensorInfo& w, const float* x, int64_t n_tokens, float* out) {
  const int64_t rows = w.rows(), cols = w.cols();
  if (n_tokens <= 0 || rows <= 0) return;
  const size_t act_bytes = RowBytes(VecDotType(w.type), cols);
  std::vector<uint8_t> act(act_bytes * n_tokens);
  std::vector<const void*> acts(n_tokens);
  tbb::parallel_for(int64_t{0}, n_tokens, [&](int64_t t) {
    QuantizeActivation(w.type, x + t * cols, act.data() + t * act_bytes, cols);
    acts[t] = act.data() + t * act_bytes;
  });
  const bool amx = OnAmx(w, n_tokens);
  const int64_t block = amx                                ? kAmxRowsPerTask
                        : n_tokens == 1                      ? kRowsPerTaskOne
                        : UsesInterleavedQ4_0(w.type, rows) ? kQ4_0x8RowsPerTask
                                                             : kRowsPerTask;
  const int64_t token_tile = amx ? n_tokens : kTokenTile;
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, block), [&](const tbb::blocked_range<int64_t>& r) {
    for (int64_t r0 = r.begin(); r0 < r.end(); r0 += block)
      MatmulRows(w, r0, std::min(r.end(), r0 + block), acts, token_tile, out);
  });
}

}  // namespace bhasa::native
