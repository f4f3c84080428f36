#!/usr/bin/env bash
# Runs bhasa's built-in engine and llama.cpp side by side on the same GGUF
# files and prints the ratios table (bhasa / llama.cpp; above 1 means bhasa is
# faster, or for memory uses more).
#
# usage: bench/compare-llamacpp.sh LLAMA_CPP_BUILD_DIR [MODEL.gguf ...]
#
# Without models, random Llama-3.2-1B-shaped files (F16 Q8_0 Q4_0 Q4_K_M Q6_K)
# are written once to $MODELS_DIR. Per model: pp (prompt from an empty
# context) and tg (generation from an empty context) with `bhasa bench` and
# `llama-bench -p PP -n TG -t THREADS`, medians of REPS; peak RSS of each
# program under /usr/bin/time -v; the evaluation shapes (BATCH_PP-token
# prompts, BATCH_TG generated tokens, BATCH_SEQS sequences) with
# `bhasa bench --batch N` and llama-batched-bench, total tokens/s; and the
# generation floor: weight bytes read per token / read bandwidth
# (build/membw_bench, THREADS threads).
#
# Environment: BHASA (default build/bhasa), MEMBW (default build/membw_bench),
# THREADS (2), REPS (3), PP (512), TG (128), BATCH_PP (256), BATCH_TG (16),
# BATCH_SEQS ("8 32"; "" skips the batched runs), MODELS_DIR
# (${TMPDIR:-/tmp}/bhasa-compare), TYPES ("F16 Q8_0 Q4_0 Q4_K_M Q6_K"),
# KV_TYPE (bhasa's KV cache, f32 as in the engine's default, or f16 as
# llama.cpp keeps it).
set -euo pipefail

die() { echo "compare-llamacpp: $*" >&2; exit 2; }

[[ $# -ge 1 ]] || die "usage: $0 LLAMA_CPP_BUILD_DIR [MODEL.gguf ...]"
LLAMA_DIR=$1
shift
BHASA=${BHASA:-build/bhasa}
MEMBW=${MEMBW:-build/membw_bench}
THREADS=${THREADS:-2}
REPS=${REPS:-3}
PP=${PP:-512}
TG=${TG:-128}
BATCH_PP=${BATCH_PP:-256}
BATCH_TG=${BATCH_TG:-16}
BATCH_SEQS=${BATCH_SEQS-8 32}
MODELS_DIR=${MODELS_DIR:-${TMPDIR:-/tmp}/bhasa-compare}
TYPES=${TYPES:-F16 Q8_0 Q4_0 Q4_K_M Q6_K}
KV_TYPE=${KV_TYPE:-f32}

find_tool() {
  local t
  for t in "$LLAMA_DIR/bin/$1" "$LLAMA_DIR/$1"; do
    [[ -x $t ]] && { echo "$t"; return; }
  done
  die "no $1 in $LLAMA_DIR or $LLAMA_DIR/bin (build llama.cpp's $1 target)"
}
LLAMA_BENCH=$(find_tool llama-bench)
LLAMA_BATCHED=""
[[ -z $BATCH_SEQS ]] || LLAMA_BATCHED=$(find_tool llama-batched-bench)
[[ -x $BHASA ]] || die "no bhasa binary at $BHASA (set BHASA)"
[[ -x $MEMBW ]] || die "no $MEMBW (configure with -DBHASA_BENCH=ON and build the membw_bench target)"
command -v jq >/dev/null || die "jq is required (apt-get install jq)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is required (apt-get install time)"

models=("$@")
if [[ ${#models[@]} -eq 0 ]]; then
  mkdir -p "$MODELS_DIR"
  for t in $TYPES; do
    f="$MODELS_DIR/llama-3.2-1b-shape-$t.gguf"
    if [[ ! -s $f ]]; then
      echo "writing $f" >&2
      "$BHASA" model create-random --out "$f" --type "$t" --n-embd 2048 --n-layer 16 --n-head 32 --n-head-kv 8 \
        --n-ff 8192 --n-vocab 128256 --n-ctx 131072 --rope-base 500000 >&2
    fi
    models+=("$f")
  done
fi

median() { sort -g | awk '{v[NR] = $1} END {print NR ? v[int((NR + 1) / 2)] : 0}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf (b > 0 ? "%.2f" : "-"), (b > 0 ? a / b : 0)}'; }
# Peak RSS in MiB from a /usr/bin/time -v report.
peak_rss() { awk '/Maximum resident set size/ {printf "%.0f", $NF / 1024}' "$1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Read bandwidth with THREADS threads, bytes/s.
"$MEMBW" --benchmark_filter="BM_Read/.*threads:$THREADS\$" --benchmark_format=json >"$tmp/bw.json" 2>/dev/null
bw=$(jq '[.benchmarks[].bytes_per_second] | max' "$tmp/bw.json")
[[ $bw != null ]] || die "membw_bench reported no BM_Read figure for $THREADS threads"

# Bytes of weights a decode step reads: every tensor but the embedding table
# (one row per token), unless the output layer is tied to it.
weight_bytes() {
  "$BHASA" model info "$1" --json --tensors | jq '
    def block: {"f32": [1, 4], "f16": [1, 2], "bf16": [1, 2], "q8_0": [32, 34], "q4_0": [32, 18], "q5_0": [32, 22],
                "q2_k": [256, 84], "q3_k": [256, 110], "q4_k": [256, 144], "q5_k": [256, 176], "q6_k": [256, 210]}[.];
    .tied_embeddings as $tied
    | [.tensors[] | select($tied or .name != "token_embd.weight")
       | (.type | ascii_downcase | block) as $b | (.ne | reduce .[] as $n (1; . * $n)) / $b[0] * $b[1]] | add'
}

rows=()
batched_rows=()
for m in "${models[@]}"; do
  [[ -s $m ]] || die "no model file $m"
  name=$(basename "$m" .gguf)
  echo "== $name" >&2
  # bhasa: pp from an empty context, then tg from an empty context (as llama-bench measures them).
  /usr/bin/time -v "$BHASA" bench --model "$m" --prompt-len "$PP" --gen-len 0 --threads "$THREADS" --reps "$REPS" \
    --kv-type "$KV_TYPE" --json >"$tmp/b_pp.json" 2>"$tmp/b_pp.time"
  /usr/bin/time -v "$BHASA" bench --model "$m" --prompt-len 1 --gen-len "$TG" --threads "$THREADS" --reps "$REPS" \
    --kv-type "$KV_TYPE" --json >"$tmp/b_tg.json" 2>"$tmp/b_tg.time"
  b_pp=$(jq .pp_tokens_per_s "$tmp/b_pp.json")
  b_tg=$(jq .tg_tokens_per_s "$tmp/b_tg.json")
  b_rss=$(printf '%s\n' "$(peak_rss "$tmp/b_pp.time")" "$(peak_rss "$tmp/b_tg.time")" | sort -g | tail -1)

  /usr/bin/time -v "$LLAMA_BENCH" -m "$m" -p "$PP" -n "$TG" -t "$THREADS" -r "$REPS" -o json \
    >"$tmp/l.json" 2>"$tmp/l.time"
  l_pp=$(jq -r --argjson p "$PP" '.[] | select(.n_prompt == $p and .n_gen == 0) | .samples_ts[]' "$tmp/l.json" | median)
  l_tg=$(jq -r --argjson g "$TG" '.[] | select(.n_prompt == 0 and .n_gen == $g) | .samples_ts[]' "$tmp/l.json" | median)
  l_rss=$(peak_rss "$tmp/l.time")

  wb=$(weight_bytes "$m")
  floor=$(awk -v bw="$bw" -v wb="$wb" 'BEGIN {printf "%.2f", bw / wb}')
  rows+=("$(printf '| %s | %.1f / %.1f | %s | %.2f / %.2f | %s | %s (%s) | %s / %s |' "$name" "$b_pp" "$l_pp" \
    "$(ratio "$b_pp" "$l_pp")" "$b_tg" "$l_tg" "$(ratio "$b_tg" "$l_tg")" "$floor" "$(ratio "$b_tg" "$floor")" \
    "$b_rss" "$l_rss")")

  for n in $BATCH_SEQS; do
    b=()
    l=()
    for ((r = 0; r < REPS; ++r)); do
      b+=("$("$BHASA" bench --model "$m" --prompt-len "$BATCH_PP" --gen-len "$BATCH_TG" --batch "$n" \
        --threads "$THREADS" --reps 1 --kv-type "$KV_TYPE" --json | jq .total_tokens_per_s)")
      ctx=$((n * (BATCH_PP + BATCH_TG)))
      l+=("$("$LLAMA_BATCHED" -m "$m" -c "$ctx" -b 2048 -ub 512 -npp "$BATCH_PP" -ntg "$BATCH_TG" -npl "$n" \
        -t "$THREADS" --output-format jsonl 2>/dev/null | jq -s '.[-1].speed')")
    done
    bs=$(printf '%s\n' "${b[@]}" | median)
    ls_=$(printf '%s\n' "${l[@]}" | median)
    batched_rows+=("$(printf '| %s | %d x (%d + %d) | %.1f / %.1f | %s |' "$name" "$n" "$BATCH_PP" "$BATCH_TG" \
      "$bs" "$ls_" "$(ratio "$bs" "$ls_")")")
  done
done

echo
echo "threads $THREADS, medians of $REPS, bhasa KV cache $KV_TYPE; read bandwidth $(awk -v b="$bw" 'BEGIN {printf "%.1f", b / 1e9}') GB/s" \
  "(membw_bench, $THREADS threads); tg floor = bandwidth / weight bytes per token"
echo
echo "| model | pp$PP bhasa / llama.cpp tok/s | ratio | tg$TG bhasa / llama.cpp tok/s | ratio |" \
  "tg floor tok/s (bhasa / floor) | peak RSS bhasa / llama.cpp MiB |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
if [[ ${#batched_rows[@]} -gt 0 ]]; then
  echo
  echo "| model | sequences x (prompt + generated) | total bhasa / llama-batched-bench tok/s | ratio |"
  echo "|---|---|---|---|"
  printf '%s\n' "${batched_rows[@]}"
fi
