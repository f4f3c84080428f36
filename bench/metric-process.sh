#!/usr/bin/env bash
# Whole-process `bhasa metric NAME --input CASE.jsonl --json` on 10,000 rows
# per scorer against SEA-HELM's Python on the same rows. Prints, per case,
# the medians over REPS runs of wall and user+sys seconds (bash's `time`, all
# threads) and Python seconds / bhasa wall seconds, with the Python seconds
# read from bench/metric-process-python.tsv (where they came from is written
# there). Cases without a Python figure are timed on bhasa's side only.
#
# usage: bench/metric-process.sh [BHASA [BEFORE]]
# With BEFORE (another build), the two run alternately, REPS times each per
# case, the table gains BEFORE's medians, and each case's --json output of
# the two is compared with cmp (a difference fails the script).
# Environment: REPS (5), BHASA_SHARED_DIR (../shared beside the checkout:
# thai-dict/words_th.txt for the Thai cases, which are left out without it),
# SEAHELM_PYTHONPATH (the reference environment of tests/parity/bench_seahelm.py:
# the SEA-HELM 6844e6c checkout, and for the other cases the sacrebleu,
# PyThaiNLP and pyonmttok snapshots): the cases in PY_CASES (default: every
# case of the .tsv) are timed in Python too, in the same hour, PY_REPS (3) runs
# each, median user+sys, instead of the .tsv's figures. The machine's speed
# drifts by a third between days. SPREAD=1 adds a line per case with the 10th
# and 90th percentiles of the wall seconds (the medians hide slow outliers).
# Takes about a minute on a two-core machine with a load average of 10.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bhasa=${1:-$root/build/bhasa}
before=${2:-}
reps=${REPS:-5}
dict=${BHASA_SHARED_DIR:-$root/../shared}/thai-dict/words_th.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$root/tests/parity/bench_seahelm.py" write "$work"

args_for() {
  case $1 in
    classification_id) echo "classification --lang id --answer-tag Jawaban:" ;;
    qa_id) echo "qa --lang id --answer-tag Jawaban:" ;;
    qa_th) echo "qa --lang th --answer-tag คำตอบ: --thai-dict $dict" ;;
    chrf_id) echo "chrf --lang id --answer-tag Terjemahan:" ;;
    rouge_id) echo "rouge_l --lang id --answer-tag Rangkuman:" ;;
    rouge_th) echo "rouge_l --lang th --answer-tag บทสรุป: --thai-dict $dict" ;;
    ifeval_id) echo "ifeval --lang id" ;;
    ifeval_en) echo "ifeval_en" ;;
    mtbench) echo "mtbench" ;;
  esac
}

python_s() {
  if [[ -n ${SEAHELM_PYTHONPATH:-} && " ${PY_CASES:-$(awk '!/^#/ { print $1 }' "$root/bench/metric-process-python.tsv")} " == *" $1 "* ]]; then
    local t=$work/py_times
    : > "$t"
    for _ in $(seq "${PY_REPS:-3}"); do
      { time PYTHONPATH=$SEAHELM_PYTHONPATH /usr/bin/python3 "$root/tests/parity/bench_seahelm.py" score "$1" \
          "$work/$1.jsonl" > /dev/null 2> "$work/py_err"; } 2>> "$t" ||
        { echo "bench_seahelm.py score $1 failed:" >&2; tail -5 "$work/py_err" >&2; return 1; }
    done
    awk '{ print $2 + $3 }' "$t" | median
  else
    awk -v c="$1" '$1 == c { print $2 }' "$root/bench/metric-process-python.tsv"
  fi
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# p10 and p90 of the first column of a times file, nearest rank.
spread() {
  awk '{ print $1 }' "$1" | sort -g |
    awk '{ v[NR] = $1 } END { lo = int(NR * 0.1 + 0.999); hi = int(NR * 0.9 + 0.999); printf "p10 %.3f p90 %.3f", v[lo], v[hi] }'
}

echo "bhasa: $bhasa${before:+; before: $before}; $reps runs per case; load: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
echo "python_s: bench/metric-process-python.tsv${SEAHELM_PYTHONPATH:+, but timed now (median user+sys of ${PY_REPS:-3} runs) for: ${PY_CASES:-every case}}"
if [[ -n $before ]]; then
  printf '%-18s %9s %9s %9s %9s %9s %8s\n' case python_s before_w before_c wall_s cpu_s ratio
else
  printf '%-18s %9s %9s %9s %8s\n' case python_s wall_s cpu_s ratio
fi
TIMEFORMAT='%R %U %S'
# run BINARY CASE TIMES OUT: one timed run, appended to TIMES.
run() {
  # shellcheck disable=SC2046  # the arguments are split on purpose
  { time "$1" metric $(args_for "$2") --input "$work/$2.jsonl" --json > "$4"; } 2>> "$3"
}
for c in classification_id qa_id qa_th chrf_id rouge_id rouge_th ifeval_id ifeval_en mtbench; do
  if [[ $c == *_th && ! -f $dict ]]; then
    printf '%-18s skipped: %s is absent\n' "$c" "$dict"
    continue
  fi
  : > "$work/times"
  : > "$work/times_before"
  for _ in $(seq "$reps"); do
    if [[ -n $before ]]; then run "$before" "$c" "$work/times_before" "$work/out_before.json"; fi
    run "$bhasa" "$c" "$work/times" "$work/out.json"
  done
  if [[ -n $before ]] && ! cmp -s "$work/out_before.json" "$work/out.json"; then
    echo "$c: the --json outputs of $before and $bhasa differ" >&2
    exit 1
  fi
  wall=$(awk '{ print $1 }' "$work/times" | median)
  cpu=$(awk '{ print $2 + $3 }' "$work/times" | median)
  py=$(python_s "$c")
  ratio=$([[ -n $py ]] && awk -v p="$py" -v w="$wall" 'BEGIN { printf "%.0fx", p / w }' || echo "-")
  if [[ -n $before ]]; then
    bwall=$(awk '{ print $1 }' "$work/times_before" | median)
    bcpu=$(awk '{ print $2 + $3 }' "$work/times_before" | median)
    printf '%-18s %9s %9.3f %9.3f %9.3f %9.3f %8s\n' "$c" "${py:--}" "$bwall" "$bcpu" "$wall" "$cpu" "$ratio"
    if [[ -n ${SPREAD:-} ]]; then printf '%-18s before wall %s; wall %s\n' "" "$(spread "$work/times_before")" "$(spread "$work/times")"; fi
  else
    printf '%-18s %9s %9.3f %9.3f %8s\n' "$c" "${py:--}" "$wall" "$cpu" "$ratio"
    if [[ -n ${SPREAD:-} ]]; then printf '%-18s wall %s\n' "" "$(spread "$work/times")"; fi
  fi
done
