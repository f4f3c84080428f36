// Converts a matmul's activation row to the weight type's vec_dot layout the
// way llama.cpp's CPU backend does (build 4748, the fixtures' reference).
//
// It defers to QuantizeActivation (ggml_types.h) except for Q8_K, where ggml's
// quantize_row_q8_K_ref scales by -127/max (the value of largest magnitude
// maps to -127, not -128); that detail moves K-quant logits by ~0.1.
// Pure function, safe from any thread; sizes as for QuantizeActivation.
#pragma once

#include <cstdint>

#include "backends/native/ggml_types.h"

namespace bhasa::native {

void ConvertActivation(GgmlType weight_type, const float* x, void* dst, int64_t n);

}  // namespace bhasa::native
