#!/usr/bin/env bash
# Builds bhasa under ThreadSanitizer in ./build-tsan and runs the tests of the
# threaded parts: the built-in engine (test_native), serve and the openai client
# (test_backends), and the command-line tests that start `bhasa serve` or run the
# engine (test_e2e). Any report fails its test. Usage: scripts/tsan.sh [CTEST ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1 -DNDEBUG" \
  -DBHASA_BENCH=OFF -DBHASA_CUDA=OFF -DBHASA_SANITIZE=thread ${BHASA_CMAKE_ARGS:-}
cmake --build build-tsan -j"$jobs" --target bhasa test_native test_backends test_e2e
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
ctest --test-dir build-tsan --output-on-failure -j"$jobs" --timeout 1800 -L 'native|backends' "$@"
ctest --test-dir build-tsan --output-on-failure -j"$jobs" --timeout 1800 -L e2e \
  -R '^(Serve[A-Za-z]*|NativeServerParity|RunNative|EngineCommands)\.' "$@"
