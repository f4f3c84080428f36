#!/usr/bin/env bash
# Whole-process `bhasa metric NAME --input CASE.jsonl --json` on 10,000 rows
# per scorer against SEA-HELM's Python on the same rows. Prints, per case,
# the medians over REPS runs of wall and user+sys seconds (bash's `time`, all
# threads) and Python seconds / bhasa wall seconds, with the Python seconds
# read from bench/metric-process-python.tsv (where they came from is written
# there). Cases without a Python figure are timed on bhasa's side only.
#
# usage: bench/metric-process.sh [BHASA]
# Environment: REPS (5), BHASA_SHARED_DIR (../shared beside the checkout:
# thai-dict/words_th.txt for the Thai cases, which are left out without it).
# Takes about a minute on a two-core machine with a load average of 10.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bhasa=${1:-$root/build/bhasa}
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

python_s() { awk -v c="$1" '$1 == c { print $2 }' "$root/bench/metric-process-python.tsv"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "bhasa: $bhasa; $reps runs per case; load: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
printf '%-18s %9s %9s %9s %8s\n' case python_s wall_s cpu_s ratio
TIMEFORMAT='%R %U %S'
for c in classification_id qa_id qa_th chrf_id rouge_id rouge_th ifeval_id ifeval_en mtbench; do
  if [[ $c == *_th && ! -f $dict ]]; then
    printf '%-18s skipped: %s is absent\n' "$c" "$dict"
    continue
  fi
  : > "$work/times"
  for _ in $(seq "$reps"); do
    # shellcheck disable=SC2046  # the arguments are split on purpose
    { time "$bhasa" metric $(args_for "$c") --input "$work/$c.jsonl" --json > /dev/null; } 2>> "$work/times"
  done
  wall=$(awk '{ print $1 }' "$work/times" | median)
  cpu=$(awk '{ print $2 + $3 }' "$work/times" | median)
  py=$(python_s "$c")
  ratio=$([[ -n $py ]] && awk -v p="$py" -v w="$wall" 'BEGIN { printf "%.0fx", p / w }' || echo "-")
  printf '%-18s %9s %9.3f %9.3f %8s\n' "$c" "${py:--}" "$wall" "$cpu" "$ratio"
done
