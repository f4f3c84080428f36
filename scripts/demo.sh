#!/usr/bin/env bash
# The demo evaluation: installs dependencies, builds bhasa, makes a small random
# Llama-architecture model, and evaluates it with the built-in engine on the
# bundled sample data. The model is random, so its scores sit near chance: the
# demo shows the whole pipeline, not a model's quality.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${BHASA_CMAKE_ARGS:-} >/dev/null
cmake --build build --target bhasa -j"$jobs"
bhasa=./build/bhasa
# The vocabulary is byte-level, so a Thai or Tamil MT-Bench judge prompt (two turns
# of answers and of the baseline's) runs to about 8,000 tokens: the context leaves
# room for it and the judge's answer (the KV cache grows with each request, so a
# large context costs nothing for short prompts), and the model is narrow so that
# attention over such prompts stays quick.
model=build/demo/bhasa-demo-ctx16k-Q8_0.gguf
if [[ ! -f $model ]]; then
  mkdir -p build/demo
  $bhasa model create-random --out "$model" --type Q8_0 --n-embd 128 --n-layer 2 --n-head 2 --n-head-kv 1 \
    --n-ff 384 --n-ctx 16384 --seed 7
fi
$bhasa run --model "$model" --model-name bhasa-demo --tasks "${BHASA_DEMO_TASKS:-all}" \
  --languages "${BHASA_DEMO_LANGUAGES:-id,vi,th,ta}" --limit "${BHASA_DEMO_LIMIT:-3}" --output runs/demo \
  --judge-backend native --judge-model "$model" "$@"
if $bhasa report --help >/dev/null 2>&1; then
  $bhasa report runs/demo/bhasa-demo/run_0 -o runs/demo/report.html
fi
