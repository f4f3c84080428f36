#!/usr/bin/env bash
# End-to-end wall time of an evaluation: `bhasa run` of a five-shot base-model
# suite on the built-in engine against the same run through `--backend openai`
# asking llama-server (same GGUF, greedy, PARALLEL slots), and their ratio
# (below 1 means the built-in engine finished first).
#
# usage: bench/compare-llamacpp-run.sh LLAMA_CPP_BUILD_DIR MODEL.gguf
#
# Environment: BHASA (default build/bhasa), TASKS (sentiment,nli), LANGUAGES
# (id), LIMIT (rows per task; 0 = all), THREADS (2), PARALLEL (8: llama-server
# slots and bhasa's --concurrency), CTX (context per sequence, 4096), PORT
# (18089).
set -euo pipefail

die() { echo "compare-llamacpp-run: $*" >&2; exit 2; }

[[ $# -eq 2 ]] || die "usage: $0 LLAMA_CPP_BUILD_DIR MODEL.gguf"
LLAMA_DIR=$1
MODEL=$2
BHASA=${BHASA:-build/bhasa}
TASKS=${TASKS:-sentiment,nli}
LANGUAGES=${LANGUAGES:-id}
LIMIT=${LIMIT:-0}
THREADS=${THREADS:-2}
PARALLEL=${PARALLEL:-8}
CTX=${CTX:-4096}
PORT=${PORT:-18089}

SERVER=""
for t in "$LLAMA_DIR/bin/llama-server" "$LLAMA_DIR/llama-server"; do [[ -x $t ]] && SERVER=$t && break; done
[[ -n $SERVER ]] || die "no llama-server in $LLAMA_DIR or $LLAMA_DIR/bin"
[[ -x $BHASA ]] || die "no bhasa binary at $BHASA (set BHASA)"
[[ -s $MODEL ]] || die "no model file $MODEL"
command -v curl >/dev/null || die "curl is required"

out=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -z $server_pid ]] || kill "$server_pid" 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT

common=(--model-kind base --tasks "$TASKS" --languages "$LANGUAGES" --limit "$LIMIT" --temperature 0
        --concurrency "$PARALLEL")
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >"$out/log" 2>&1 || { cat "$out/log" >&2; die "failed: $*"; }
            t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}'; }

echo "bhasa run, built-in engine" >&2
native_s=$(seconds "$BHASA" run --model "$MODEL" "${common[@]}" --threads "$THREADS" --ctx "$CTX" \
  --output "$out/native")

echo "llama-server --parallel $PARALLEL" >&2
"$SERVER" -m "$MODEL" -t "$THREADS" --parallel "$PARALLEL" -c $((PARALLEL * CTX)) --port "$PORT" \
  --host 127.0.0.1 >"$out/server.log" 2>&1 &
server_pid=$!
for ((i = 0; i < 600; ++i)); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$out/server.log" >&2; die "llama-server exited"; }
  sleep 1
done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || die "llama-server not healthy after 600 s"

echo "bhasa run --backend openai" >&2
server_s=$(seconds "$BHASA" run --backend openai --url "http://127.0.0.1:$PORT" --model "$(basename "$MODEL" .gguf)" \
  "${common[@]}" --output "$out/openai")

echo
echo "tasks $TASKS, languages $LANGUAGES, limit $LIMIT, threads $THREADS, $PARALLEL sequences at a time, greedy"
echo
echo "| model | bhasa run native s | via llama-server s | ratio |"
echo "|---|---|---|---|"
printf '| %s | %s | %s | %s |\n' "$(basename "$MODEL" .gguf)" "$native_s" "$server_s" \
  "$(awk -v a="$native_s" -v b="$server_s" 'BEGIN {printf "%.2f", a / b}')"
