// Runs a test body once per SIMD target VecDot/VecDotTile can use on this
// machine (AVX-512 VNNI, AVX2, scalar), then restores the default dispatch.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "backends/native/ggml_types.h"

namespace bhasa::native {

template <typename F>
void ForEachVecDotTarget(F body) {
  for (const std::string& target : VecDotTargets()) {
    ForceVecDotTarget(target);
    SCOPED_TRACE("target " + target);
    body();
  }
  ForceVecDotTarget("");
}

}  // namespace bhasa::native
