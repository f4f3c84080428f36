// Launch shape of the element-wise kernels: kGridThreads per block and enough
// blocks to fill the GPU; a grid-stride loop covers whatever is left.
#pragma once

#include <cstdint>

namespace bhasa::native::cuda {

inline constexpr int kGridThreads = 256;

inline unsigned GridBlocks(int64_t n) {
  const int64_t b = (n + kGridThreads - 1) / kGridThreads;
  return static_cast<unsigned>(b < 65535 ? (b > 0 ? b : 1) : 65535);
}

}  // namespace bhasa::native::cuda

// for (i over [0, n)) spread across the whole grid.
#define BHASA_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < (n); i += int64_t{gridDim.x} * blockDim.x)
