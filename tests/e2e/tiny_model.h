// A tiny random Llama GGUF made once per test binary by `bhasa model create-random`.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace bhasa::testing {

// Path of a 1-layer, 64-wide random F32 model (byte-level vocabulary), made on first use.
inline std::string TinyModel() {
  static const std::string path = [] {
    const std::string p = TempDir("tiny-model") + "/tiny-Q8_0.gguf";
    std::string log;
    const int rc = RunCommand(BhasaBinary() + " model create-random --out " + p +
                                  " --type Q8_0 --n-embd 64 --n-layer 1 --n-head 2 --n-head-kv 1 --n-ff 128"
                                  " --n-ctx 4096 --seed 3",
                              &log);
    EXPECT_EQ(rc, 0) << log;
    return p;
  }();
  return path;
}

}  // namespace bhasa::testing
