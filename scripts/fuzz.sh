#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, in ./build-fuzz) and runs
# each for SECONDS (default 60), one after another, then prints a table:
# executions, executions per second, new corpus units and findings per target.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Each target starts from its committed seeds (fuzz/corpus/<target>) and
# regressions (fuzz/regressions/<target>), plus inputs taken from ../shared and
# the bundled samples when present; what it learns is kept in
# build-fuzz/corpus/<target> for the next run. A finding is written to
# build-fuzz/findings/<target>/ (crash-*, leak-*, timeout-*, oom-*); once fixed,
# copy it to fuzz/regressions/<target>/ so that ctest replays it for ever.
# Exits 1 when any target had a finding or ended abnormally.
#
# Environment: BHASA_FUZZ_BIN=DIR runs the fuzz_<target> binaries there and
# builds nothing; BHASA_FUZZ_RUNS=N also stops each target after N executions;
# BHASA_FUZZ_CI=1 makes the run repeatable (see ci_runs below);
# BHASA_FUZZ_TIMEOUT=S counts an input as a hang after S seconds (default 10;
# raise it for a run niced on a busy machine, where a starved process looks hung;
# libFuzzer keeps a "slow unit" only past the same S, so starving writes no finding);
# BHASA_FUZZ_JOBS=N compiles with N jobs (default 2); BHASA_FUZZ_DIR=DIR puts
# the build, corpora and findings in DIR instead of ./build-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
jobs=${BHASA_FUZZ_JOBS:-2}
root=$PWD
out=${BHASA_FUZZ_DIR:-$root/build-fuzz}

bin=${BHASA_FUZZ_BIN:-$out/fuzz}
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/targets/*.cc; do targets+=("$(basename "$f" .cc)"); done
fi
if [[ -z ${BHASA_FUZZ_BIN:-} ]]; then
  BHASA_WITH_FUZZ=1 bash scripts/install-deps.sh
  command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (scripts/install-deps.sh installs it)" >&2; exit 2; }
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" -DBHASA_FUZZ=ON -DBHASA_SANITIZE=address,undefined \
    -DBHASA_TESTS=OFF -DBHASA_BENCH=OFF -DBHASA_CUDA=OFF "${launcher[@]}" ${BHASA_CMAKE_ARGS:-} >/dev/null
  cmake --build "$out" -j"$jobs" --target "${targets[@]/#/fuzz_}"
fi

# Extra seeds beyond the committed ones: small files of the same formats.
extra_seeds() {
  local shared=$root/../shared
  case $1 in
    dataset) find data/samples -name '*.jsonl' -size -16k ;;
    task_yaml)
      ls tasks/*.yaml
      [[ -d $shared/seahelm ]] && find "$shared/seahelm" -name config.yaml -size -32k ;;
    parquet) [[ -d build/parquet_fixtures/files ]] && find build/parquet_fixtures/files -name '*.parquet' -size -32k ;;
    results) find runs -name results.json -size -64k 2>/dev/null ;;
  esac
  return 0
}

# The largest input each target is given: room for its biggest seed, and no
# more, since every byte more is time spent per execution.
max_len() {
  case $1 in
    gguf | tokenizer | parquet) echo 32768 ;;
    dataset) echo 4096 ;;  # a dozen rows: every check, a fraction of the time per input
    *) echo 8192 ;;
  esac
}

# CI mode: nearly the same inputs on every run (libFuzzer still keeps inputs
# by the coverage they add), so that a commit which passed once passes again:
# a fixed seed and a fixed number of executions per target (about 15 s each
# on a 2-core machine); SECONDS becomes a cap for slow machines, four times
# over. Longer fuzzing is a local job (goal: 1M each).
ci_runs() {
  case $1 in
    gguf) echo 100000 ;;
    openai_reply) echo 80000 ;;
    safetensors) echo 45000 ;;
    parquet | results) echo 25000 ;;
    task_yaml) echo 20000 ;;
    tokenizer) echo 18000 ;;
    serve_http) echo 8000 ;;
    chat_template) echo 6000 ;;
    *) echo 4000 ;;  # dataset
  esac
}

# One libFuzzer statistic from a log (-print_final_stats=1).
stat() { grep -o "stat::$1: *[0-9]*" "$2" | grep -o '[0-9]*$' | tail -1; }

rows=() failed=0
for t in "${targets[@]}"; do
  corpus=$out/corpus/$t findings=$out/findings/$t seeds=$out/seeds/$t
  mkdir -p "$corpus" "$findings" "$seeds"
  while read -r f; do [[ -n $f ]] && cp "$f" "$seeds/$(echo "$f" | tr / _)"; done < <(extra_seeds "$t")
  dict=() regressions=() runs=()
  [[ -f fuzz/dict/$t.dict ]] && dict=(-dict="fuzz/dict/$t.dict")
  [[ -d fuzz/regressions/$t ]] && regressions=(fuzz/regressions/$t)
  [[ -n ${BHASA_FUZZ_RUNS:-} ]] && runs=(-runs="$BHASA_FUZZ_RUNS")
  limit=$seconds
  [[ ${BHASA_FUZZ_CI:-0} == 1 ]] && runs=(-seed=1 -runs="$(ci_runs "$t")") limit=$((seconds * 4))
  log=$out/$t.log
  before=$(find "$findings" -type f | wc -l)
  echo "== fuzz_$t: ${runs[*]:-${seconds}s} (log: $log)"
  rc=0
  # -rss_limit_mb: ASan's shadow memory plus the biggest legitimate input.
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin/fuzz_$t" "${dict[@]}" "${runs[@]}" -max_total_time="$limit" -timeout="${BHASA_FUZZ_TIMEOUT:-10}" \
    -report_slow_units="${BHASA_FUZZ_TIMEOUT:-10}" -rss_limit_mb=4096 \
    -max_len="$(max_len "$t")" -print_final_stats=1 -artifact_prefix="$findings/" \
    "$corpus" "$root/fuzz/corpus/$t" "$seeds" "${regressions[@]}" >"$log" 2>&1 || rc=$?
  found=$(($(find "$findings" -type f | wc -l) - before))
  execs=$(stat number_of_executed_units "$log")
  rate=$(stat average_exec_per_sec "$log")
  units=$(stat new_units_added "$log")
  rows+=("$(printf '%-14s %12s %8s %10s %8s %5s' "$t" "${execs:-?}" "${rate:-?}" "${units:-?}" "$found" "$rc")")
  if ((rc != 0 || found != 0)); then
    failed=1
    grep -m1 -A16 -E '^==[0-9]+==ERROR|runtime error|deadly signal|ALARM|out-of-memory' "$log" || tail -20 "$log"
    grep -E '^artifact_prefix=|Test unit written to' "$log" | sed 's/^/  reproducer: /' || true
  fi
done
echo
mode="${seconds}s per target${BHASA_FUZZ_RUNS:+, at most $BHASA_FUZZ_RUNS runs}"
[[ ${BHASA_FUZZ_CI:-0} == 1 ]] && mode="CI: seed 1, fixed runs per target, at most $((seconds * 4))s each"
echo "== fuzz summary ($mode; logs, corpora and findings in $out)"
printf '%-14s %12s %8s %10s %8s %5s\n' target executions exec/s new_units crashes exit
printf '%s\n' "${rows[@]}"
exit "$failed"
