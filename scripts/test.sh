#!/usr/bin/env bash
# Builds bhasa in ./build (Release) and runs the whole test suite with ctest.
# Tests that need ../shared (llama.cpp fixtures, SEA-HELM configs) skip with a
# message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
BHASA_WITH_BROWSER=${BHASA_WITH_BROWSER:-1} bash scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBHASA_BENCH=ON ${BHASA_CMAKE_ARGS:-}
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 900 "$@"
