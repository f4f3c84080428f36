// Random models of any registered architecture, for `bhasa model
// create-random`, tests and benchmarks: the "<arch>.*" hyper-parameter keys
// and every tensor the family's loader requires (ArchLayout says which go
// beyond llama's), weights drawn from N(0, sigma), norms from 1 + 0.05 N(0, 1).
//
// Failure: Error for an unknown architecture or inconsistent shapes (exit
// code kExitUsage, since the shapes come from the command line).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "backends/native/gguf_writer.h"

namespace bhasa::native {

struct RandomModelSpec {
  std::string arch = "llama";
  int64_t n_vocab = 0, n_embd = 64, n_layer = 2, n_head = 4, n_head_kv = 2, n_ff = 128, n_ctx = 512;
  int64_t head_dim = 0;  // 0: n_embd / n_head
  double rope_base = 500000.0, sigma = 0.05;
  uint64_t seed = 1;
  // Type of each weight matrix (tensor name, layer or -1); norms and biases stay F32.
  std::function<GgmlType(const std::string& tensor, int64_t layer)> type = [](const std::string&, int64_t) {
    return GgmlType::F32;
  };
};

// Checks the shapes, then adds the architecture keys and random tensors to
// `w`; general.* and tokenizer.* metadata are the caller's.
void AddRandomModel(const RandomModelSpec& spec, GgufWriter& w);

}  // namespace bhasa::native
