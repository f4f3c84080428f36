#!/usr/bin/env bash
# Everything about the CUDA backend that needs a GPU, in one run, ending in
# one summary table:
#   1. builds bhasa, test_native and test_cuda with CUDA for this GPU's architecture;
#   2. runs every CUDA test (kernel twins, resident weights, the cuda table);
#   3. runs the kernel tests under compute-sanitizer (memcheck) if installed;
#   4. runs the forward-pass fixtures of every architecture on the cuda table
#      against llama.cpp's references (CPU bounds);
#   5. benchmarks random Llama-3.1-8B-shaped models (Q4_K_M, Q8_0, F16) with
#      `bhasa bench --device cuda` (the device-resident forward pass): decode
#      tok/s at batch 1 against the HBM floor, pp512 and pp4096 tok/s against
#      the tensor-core peak (MFU); and, on the Q4_K_M model, the
#      evaluation-shaped run: PROMPTS prompts of 512 tokens, 64 generated
#      each, continuous batching EVAL_BATCH at a time (total tok/s, wall
#      time, peak GPU memory).
#
# Usage: scripts/cuda-check.sh            (from anywhere; needs nvidia-smi and the
#                                          build dependencies of scripts/install-deps.sh)
# Environment: JOBS (build jobs, default nproc), BUILD (build dir, default
# build-cuda), WORK (scratch dir for models and logs, default a new temp dir),
# LAYERS (blocks of the random models, default 4: every Llama-3.1-8B shape and
# the full vocabulary, written in about a minute each; LAYERS=32 is the whole
# 8B model, about 4 minutes per model to write single-threaded at ~6 s per
# Q4_K_M layer), BENCH=0 (skip 5), PROMPTS (default 1000) and EVAL_BATCH
# (default 256) for the evaluation-shaped run,
# HBM_GBS and PEAK_TFLOPS (override the bandwidth and dense f16 tensor-core
# peak looked up from the GPU's name), BHASA_SHARED_DIR (fixtures, default
# ../shared).
# Exit status: 0 when every step passed, 1 when one failed, 2 without a GPU.
set -uo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
BUILD=${BUILD:-build-cuda}
WORK=${WORK:-$(mktemp -d /tmp/cuda-check.XXXXXX)}
LAYERS=${LAYERS:-4}
BENCH=${BENCH:-1}
PROMPTS=${PROMPTS:-1000}
EVAL_BATCH=${EVAL_BATCH:-256}
export BHASA_SHARED_DIR=${BHASA_SHARED_DIR:-$(cd .. && pwd)/shared}
mkdir -p "$WORK"

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "cuda-check: no NVIDIA GPU visible (nvidia-smi); run this on a machine with one" >&2
  exit 2
fi
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n1)
CAP=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -n1 | tr -d ' .')
START=$(date +%s)
ROWS=()
FAILED=0
row() { ROWS+=("$1|$2|$3"); [[ $2 == FAIL ]] && FAILED=1; return 0; }
elapsed() { echo "$(( $(date +%s) - START ))s"; }

# ---- 1. build ------------------------------------------------------------------
echo "== build for sm_$CAP ($GPU) into $BUILD"
if cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBHASA_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$CAP" \
     -DBHASA_TESTS=ON -DBHASA_BENCH=OFF >"$WORK/configure.log" 2>&1 &&
   cmake --build "$BUILD" -j"$JOBS" --target bhasa test_native test_cuda >"$WORK/build.log" 2>&1; then
  row "build sm_$CAP" PASS "$(elapsed)"
else
  row "build sm_$CAP" FAIL "see $WORK/build.log"
  tail -n 30 "$WORK/build.log"
fi
BHASA="$BUILD/bhasa"
TESTS="$BUILD/test_native"

# Runs $TESTS (test_native unless the caller sets it) with a filter; one
# summary row with passed/failed/skipped counts.
gtest_row() {
  local name=$1 filter=$2 log="$WORK/$3.log"
  shift 3
  local TESTS=${TESTS_BIN:-$TESTS}
  if [[ ! -x $TESTS ]]; then row "$name" FAIL "not built"; return; fi
  "$@" "$TESTS" --gtest_filter="$filter" >"$log" 2>&1
  local rc=$?
  local pass fail skip
  pass=$(grep -c '^\[       OK \]' "$log")
  fail=$(grep -c '^\[  FAILED  \] .*(' "$log")
  skip=$(grep -c '^\[  SKIPPED \] .*(' "$log")
  local detail="$pass passed, $fail failed, $skip skipped"
  # On a GPU nothing of the CUDA suites may skip: a skip means the device was not used.
  if [[ $rc -ne 0 || $fail -ne 0 ]]; then row "$name" FAIL "$detail; $log"
  elif [[ $skip -ne 0 ]]; then row "$name" FAIL "$detail (skips on a GPU); $log"
  else row "$name" PASS "$detail"; fi
}

# ---- 2. CUDA tests ---------------------------------------------------------------
echo "== CUDA tests"
CUDA_FILTER='DeviceSelection.*:CudaDequantElem.*:CudaVecDot.*:KernelsCuda.*:LlamaTiny/CudaForwardFixtureTest.*'
gtest_row "CUDA tests" "$CUDA_FILTER" cuda-tests env
TESTS_BIN="$BUILD/test_cuda" gtest_row "CUDA resident kernels" 'CudaResident.*:CudaPaged.*:*/CudaForwardTwin.*' cuda-resident env
TESTS_BIN="$BUILD/test_cuda" gtest_row "CUDA forward, no graphs" '*/CudaForwardTwin.*' cuda-forward-eager \
  env BHASA_CUDA_GRAPHS=0

# ---- 3. compute-sanitizer ------------------------------------------------------------
if command -v compute-sanitizer >/dev/null; then
  echo "== compute-sanitizer memcheck on the kernel tests"
  gtest_row "memcheck kernels" 'KernelsCuda.Matmul*:KernelsCuda.Attention*' memcheck \
    compute-sanitizer --tool memcheck --error-exitcode 1
  TESTS_BIN="$BUILD/test_cuda" gtest_row "memcheck resident kernels" 'CudaResident.*:CudaPaged.*' memcheck-resident \
    compute-sanitizer --tool memcheck --error-exitcode 1
else
  row "memcheck kernels" SKIP "compute-sanitizer not installed"
fi

# ---- 4. fixtures of every architecture on the cuda table ---------------------------------
echo "== fixtures with the cuda table"
if [[ -d $BHASA_SHARED_DIR/fixtures ]]; then
  gtest_row "fixtures --device cuda" '*/ForwardFixtureTest.*' fixtures env BHASA_TEST_DEVICE=cuda
else
  row "fixtures --device cuda" FAIL "no fixtures under $BHASA_SHARED_DIR"
fi

# ---- 5. benchmarks ---------------------------------------------------------------------------
# Bandwidth (GB/s) and dense f16 tensor-core peak (TFLOP/s) by GPU name.
case "$GPU" in
  *H200*) BW=4800; PEAK=989 ;;
  *H100*PCIe*) BW=2000; PEAK=756 ;;
  *H100*) BW=3350; PEAK=989 ;;
  *A100*80GB*) BW=2039; PEAK=312 ;;
  *A100*) BW=1555; PEAK=312 ;;
  *L40S*) BW=864; PEAK=362 ;;
  *) BW=0; PEAK=0 ;;
esac
BW=${HBM_GBS:-$BW}
PEAK=${PEAK_TFLOPS:-$PEAK}
BENCH_ROWS=()
EVAL_JSON=
if [[ $BENCH == 1 && -x $BHASA ]]; then
  echo "== benchmarks: random Llama-3.1-8B-shaped models, $LAYERS layers"
  for type in Q4_K_M Q8_0 F16; do
    model="$WORK/llama8b-$type.gguf"
    if ! "$BHASA" model create-random --out "$model" --type "$type" --n-embd 4096 --n-layer "$LAYERS" \
         --n-head 32 --n-head-kv 8 --n-ff 14336 --n-vocab 128256 --n-ctx 8192 >"$WORK/create-$type.log" 2>&1; then
      row "bench $type" FAIL "model create-random failed; $WORK/create-$type.log"
      continue
    fi
    ok=1
    "$BHASA" bench --model "$model" --device cuda --threads "$JOBS" --kv-type f16 --prompt-len 512 --gen-len 64 --n-batch 4096 \
      --reps 3 --json >"$WORK/bench-$type-512.json" 2>"$WORK/bench-$type-512.err" || ok=0
    "$BHASA" bench --model "$model" --device cuda --threads "$JOBS" --kv-type f16 --prompt-len 4096 --gen-len 1 --n-batch 4096 \
      --reps 1 --json >"$WORK/bench-$type-4096.json" 2>"$WORK/bench-$type-4096.err" || ok=0
    if [[ $ok == 1 && $type == Q4_K_M ]]; then
      if "$BHASA" bench --model "$model" --device cuda --prompts "$PROMPTS" --prompt-len 512 --gen-len 64 \
           --batch "$EVAL_BATCH" --n-batch 4096 --json >"$WORK/eval-$type.json" 2>"$WORK/eval-$type.err"; then
        EVAL_JSON="$WORK/eval-$type.json"
        row "eval run $type" PASS "$EVAL_JSON"
      else
        row "eval run $type" FAIL "$WORK/eval-$type.err"
      fi
    fi
    if [[ $ok == 1 ]]; then
      row "bench $type" PASS "$WORK/bench-$type-*.json"
      BENCH_ROWS+=("$type|$(stat -c %s "$model")|$WORK/bench-$type-512.json|$WORK/bench-$type-4096.json")
    else
      row "bench $type" FAIL "$WORK/bench-$type-*.err"
    fi
    rm -f "$model"
  done
elif [[ $BENCH != 1 ]]; then
  row "benchmarks" SKIP "BENCH=$BENCH"
fi

# ---- summary --------------------------------------------------------------------------------
echo
echo "cuda-check on $GPU (sm_$CAP), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(elapsed)"
printf '%-26s %-5s %s\n' STEP RESULT DETAIL
for r in "${ROWS[@]}"; do
  IFS='|' read -r name result detail <<<"$r"
  printf '%-26s %-5s %s\n' "$name" "$result" "$detail"
done
if [[ ${#BENCH_ROWS[@]} -gt 0 ]]; then
  echo
  echo "Benchmarks: $LAYERS-layer Llama-3.1-8B shapes, batch 1, f16 KV; HBM ${BW} GB/s, f16 tensor-core peak ${PEAK} TFLOP/s."
  echo "decode floor = bandwidth / bytes read per token: 'file' counts the GGUF's bytes (the weights in"
  echo "their block format, as the device reads them), 'f16' 2 bytes per parameter (for comparison)."
  echo "MFU = pp tok/s x 2 x parameters / peak."
  printf '%-7s %9s %10s %12s %12s %10s %10s %7s %7s\n' TYPE "FILE GiB" "tg64 t/s" "floor file" "floor f16" \
    "pp512 t/s" "pp4096 t/s" "MFU512" "MFU4k"
  for r in "${BENCH_ROWS[@]}"; do
    IFS='|' read -r type bytes j512 j4k <<<"$r"
    python3 - "$type" "$bytes" "$j512" "$j4k" "$BW" "$PEAK" <<'EOF'
import json, sys
t, size, j512, j4k, bw, peak = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), float(sys.argv[6])
a, b = json.load(open(j512)), json.load(open(j4k))
params = a["n_params"]
floor_file = bw * 1e9 / size if bw else float("nan")
floor_f16 = bw * 1e9 / (2 * params) if bw else float("nan")
mfu = lambda pp: pp * 2 * params / (peak * 1e12) if peak else float("nan")
print(f"{t:<7} {size / 2**30:9.2f} {a['tg_tokens_per_s']:10.1f} {floor_file:12.1f} {floor_f16:12.1f} "
      f"{a['pp_tokens_per_s']:10.1f} {b['pp_tokens_per_s']:10.1f} {mfu(a['pp_tokens_per_s']):7.1%} {mfu(b['pp_tokens_per_s']):7.1%}")
EOF
  done
fi
if [[ -n $EVAL_JSON ]]; then
  python3 - "$EVAL_JSON" "$LAYERS" <<'EOF'
import json, sys
j, layers = json.load(open(sys.argv[1])), sys.argv[2]
print(f"\nEvaluation-shaped run ({layers}-layer Llama-3.1-8B shape, {j['quantization']}): {j['prompts']} prompts of "
      f"{j['prompt_len']} tokens, {j['gen_len']} generated each, continuous batching {j['batch']} at a time")
print(f"{'wall s':>8} {'total tok/s':>12} {'generated':>10} {'peak GPU MiB':>13}")
print(f"{j['wall_seconds']:8.1f} {j['total_tokens_per_s']:12.0f} {j['generated_tokens']:10d} {j['peak_gpu_mib']:13.0f}")
EOF
fi
echo "logs: $WORK"
exit $FAILED
