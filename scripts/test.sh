#!/usr/bin/env bash
# Builds bhasa in ./build (Release) and runs the whole test suite with ctest;
# then fuzzes every libFuzzer target briefly and repeatably with scripts/fuzz.sh
# (BHASA_FUZZ_SECONDS, default 15; 0 skips); last, with BHASA_SANITIZE_SUITE=1
# (as CI sets it), builds again in ./build-asan under ASan+UBSan and runs the
# whole suite there too.
# Tests that need ../shared (llama.cpp fixtures, SEA-HELM configs) skip with a
# message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
BHASA_WITH_BROWSER=${BHASA_WITH_BROWSER:-1} bash scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBHASA_BENCH=ON ${BHASA_CMAKE_ARGS:-}
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 900 "$@"

# A short bounded run of every libFuzzer target (clang, ASan+UBSan, in
# ./build-fuzz; no CUDA, no benchmarks) from the committed seeds, repeatable
# (fixed seed and executions: BHASA_FUZZ_CI): a crash, leak, hang or
# sanitizer report fails here and names its reproducer file.
fuzz_seconds=${BHASA_FUZZ_SECONDS:-15}
if ((fuzz_seconds > 0)); then
  BHASA_FUZZ_CI=${BHASA_FUZZ_CI:-1} BHASA_FUZZ_JOBS=$jobs bash scripts/fuzz.sh "$fuzz_seconds"
fi

# The same suite again under AddressSanitizer + UndefinedBehaviorSanitizer
# (any report fails its test: -fno-sanitize-recover=all, halt_on_error). No CUDA
# (nvcc takes no sanitizer flags, and CI has no GPU) and no benchmarks. -O1 -g1,
# as in scripts/fuzz.sh: the point is the checks, not speed, and line numbers
# are all a report needs. docs/robustness.md says what it has found.
if [[ ${BHASA_SANITIZE_SUITE:-0} == 1 ]]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1 -DNDEBUG" \
    -DBHASA_BENCH=OFF -DBHASA_CUDA=OFF -DBHASA_SANITIZE=address,undefined ${BHASA_CMAKE_ARGS:-}
  cmake --build build-asan -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:check_initialization_order=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 1800 "$@"
fi
