#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, in ./build-fuzz) and runs
# each for SECONDS (default 60), one after another, then prints executions and
# findings per target. Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Each target starts from its committed seeds (fuzz/corpus/<target>) and
# regressions (fuzz/regressions/<target>), plus inputs taken from ../shared and
# the bundled samples when present; what it learns is kept in
# build-fuzz/corpus/<target> for the next run. A finding is written to
# build-fuzz/findings/<target>/ (crash-*, leak-*, timeout-*, oom-*); once fixed,
# copy it to fuzz/regressions/<target>/ so that ctest replays it for ever.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
jobs=${BHASA_FUZZ_JOBS:-2}
root=$PWD
out=$root/build-fuzz

bin=${BHASA_FUZZ_BIN:-$out/fuzz}  # BHASA_FUZZ_BIN=DIR: run the fuzz_<target> binaries there, build nothing
targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/targets/*.cc; do targets+=("$(basename "$f" .cc)"); done
fi
if [[ -z ${BHASA_FUZZ_BIN:-} ]]; then
  BHASA_WITH_FUZZ=1 bash scripts/install-deps.sh
  command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (scripts/install-deps.sh installs it)" >&2; exit 2; }
  cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" -DBHASA_FUZZ=ON -DBHASA_SANITIZE=address,undefined \
    -DBHASA_TESTS=OFF -DBHASA_BENCH=OFF -DBHASA_CUDA=OFF ${BHASA_CMAKE_ARGS:-} >/dev/null
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

summary=()
for t in "${targets[@]}"; do
  corpus=$out/corpus/$t findings=$out/findings/$t seeds=$out/seeds/$t
  mkdir -p "$corpus" "$findings" "$seeds"
  while read -r f; do [[ -n $f ]] && cp "$f" "$seeds/$(echo "$f" | tr / _)"; done < <(extra_seeds "$t")
  dict=() regressions=()
  [[ -f fuzz/dict/$t.dict ]] && dict=(-dict="fuzz/dict/$t.dict")
  [[ -d fuzz/regressions/$t ]] && regressions=(fuzz/regressions/$t)
  log=$out/$t.log
  echo "== fuzz_$t: ${seconds}s"
  rc=0
  # -rss_limit_mb: ASan's shadow memory plus the biggest legitimate input.
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin/fuzz_$t" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/" \
    "$corpus" "$root/fuzz/corpus/$t" "$seeds" "${regressions[@]}" >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  n_findings=$(find "$findings" -type f | wc -l)
  summary+=("$(printf '%-14s %12s execs  %3s findings  exit %s' "$t" "${execs:-?}" "$n_findings" "$rc")")
  if ((rc != 0)); then grep -m1 -A12 -E '^==[0-9]+==ERROR|runtime error|deadly signal|ALARM|out-of-memory' "$log" || true; fi
done
echo
echo "== summary (${seconds}s per target; logs and findings in $out)"
printf '%s\n' "${summary[@]}"
for s in "${summary[@]}"; do [[ $s == *" 0 findings  exit 0" ]] || exit 1; done
