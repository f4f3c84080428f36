#!/usr/bin/env bash
# Crash soak for `bhasa run`: N times start a run (the bundled samples, a
# small random model on the built-in engine), kill -9 it at a random moment,
# resume it with the same command, and check that results.json has the same
# scores, byte for byte, as an uninterrupted run, with every request answered
# once in the journal. Then: SIGINT and resume, a full disk (a small tmpfs),
# a read-only output directory, two runs into one output directory at once,
# and a journal damaged in the middle.
# Usage: scripts/soak-kill.sh [N]   (needs ./build/bhasa or $BHASA, and jq)
# Scenarios that need root (mount) are reported as SKIP without it.
set -uo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
bhasa=$(realpath "${BHASA:-build/bhasa}")
command -v jq >/dev/null || { echo "soak-kill.sh: needs jq" >&2; exit 2; }
[[ -x $bhasa ]] || { echo "soak-kill.sh: $bhasa not built (cmake --build build --target bhasa)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bhasa-soak.XXXXXX")
mounts=()
cleanup() {
  for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

model=$work/tiny.gguf
"$bhasa" model create-random --out "$model" --n-embd 64 --n-layer 2 --n-head 2 --n-head-kv 1 --n-ff 128 \
  --n-ctx 4096 --seed 3 >/dev/null
run_args=(run --model "$model" --model-name soak --tasks sentiment,qa,translation-en-xx --languages id,vi,th
          --limit 5 --max-tokens 24 --threads 1)
export BHASA_PROGRESS=off

failures=0
report() {  # STATUS SCENARIO DETAIL
  printf '%-5s %-28s %s\n' "$1" "$2" "$3"
  [[ $1 == FAIL ]] && failures=$((failures + 1))
  return 0
}
seconds() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
results_of() { echo "$1/soak/run_0/results.json"; }
journal_of() { echo "$1/soak/run_0/responses.jsonl"; }
# The scores of a results.json: everything but the run's own facts (times, paths).
scores() { jq -cS '{results, summary}' "$(results_of "$1")" 2>/dev/null; }
# "" when the journal holds every request exactly once, else what is wrong.
journal_problem() {
  local ids dup total
  ids=$(jq -r '.request_id' "$(journal_of "$1")" | sort)
  dup=$(uniq -d <<<"$ids" | wc -l)
  total=$(uniq <<<"$ids" | wc -l)
  ((dup > 0)) && { echo "$dup requests answered twice"; return; }
  ((total != expected_requests)) && echo "$total of $expected_requests requests in the journal"
}
check_same() {  # SCENARIO OUT DETAIL
  local got problem
  got=$(scores "$2")
  problem=$(journal_problem "$2")
  if [[ -z $got ]]; then report FAIL "$1" "no results.json after resume; $3"
  elif [[ $got != "$reference" ]]; then report FAIL "$1" "scores differ from the uninterrupted run; $3"
  elif [[ -n $problem ]]; then report FAIL "$1" "$problem; $3"
  else report PASS "$1" "identical scores, $expected_requests requests once each; $3"
  fi
}

# The uninterrupted run.
start_ms=$(($(date +%s%N) / 1000000))
"$bhasa" "${run_args[@]}" --output "$work/reference" >"$work/reference.log" 2>&1 || {
  echo "soak-kill.sh: the reference run failed:"; cat "$work/reference.log"; exit 1; }
ms_total=$(($(date +%s%N) / 1000000 - start_ms))
reference=$(scores "$work/reference")
expected_requests=$(jq -r '.request_id' "$(journal_of "$work/reference")" | sort -u | wc -l)
echo "reference run: $ms_total ms, $expected_requests requests"

# kill -9 at a random moment within the reference run's duration, then resume.
for ((i = 1; i <= n; i++)); do
  out=$work/kill$i
  delay_ms=$(((RANDOM << 15 | RANDOM) % ms_total))
  "$bhasa" "${run_args[@]}" --output "$out" >"$out.log" 2>&1 &
  pid=$!
  sleep "$(seconds $delay_ms)"
  if kill -9 "$pid" 2>/dev/null; then killed="killed at ${delay_ms} ms"; else killed="finished before ${delay_ms} ms"; fi
  wait "$pid" 2>/dev/null
  answered=$( [[ -f $(journal_of "$out") ]] && wc -l <"$(journal_of "$out")" || echo 0)
  "$bhasa" "${run_args[@]}" --output "$out" >>"$out.log" 2>&1
  rc=$?
  if ((rc != 0)); then report FAIL "kill -9 #$i" "resume exited $rc ($killed): $(tail -1 "$out.log")"
  else check_same "kill -9 #$i" "$out" "$killed, $answered lines journaled before"; fi
done

# SIGINT: the run stops, the resume finishes it.
# (Job control on: a script's background jobs otherwise start with SIGINT ignored.)
out=$work/sigint
set -m
"$bhasa" "${run_args[@]}" --output "$out" >"$out.log" 2>&1 &
pid=$!
set +m
sleep "$(seconds $((ms_total / 2)))"
kill -INT "$pid" 2>/dev/null
wait "$pid"
int_rc=$?
"$bhasa" "${run_args[@]}" --output "$out" >>"$out.log" 2>&1 && check_same "SIGINT" "$out" "interrupted run exited $int_rc" ||
  report FAIL "SIGINT" "resume failed: $(tail -1 "$out.log")"

# A full disk: a 64 KiB tmpfs fills up mid-run; the error names the path;
# once space returns, the same command resumes to the same scores.
out=$work/full
mkdir -p "$out"
if mount -t tmpfs -o size=64k tmpfs "$out" 2>/dev/null; then
  mounts+=("$out")
  "$bhasa" "${run_args[@]}" --output "$out" >"$work/full.log" 2>&1
  rc=$?
  msg=$(grep -m1 'bhasa: error' "$work/full.log")
  if ((rc == 0)); then report FAIL "disk full" "the run did not notice the full disk"
  elif [[ $msg != *"$out"* || $rc -gt 3 ]]; then report FAIL "disk full" "exit $rc, message does not name the path: $msg"
  else
    mount -o remount,size=64m "$out"
    if "$bhasa" "${run_args[@]}" --output "$out" >>"$work/full.log" 2>&1; then
      check_same "disk full" "$out" "exit $rc: ${msg:0:110}"
    else report FAIL "disk full" "resume after space returned failed: $(tail -1 "$work/full.log")"; fi
  fi
else
  report SKIP "disk full" "cannot mount a tmpfs here (needs root)"
fi

# A read-only output directory: a clear error naming it, no partial run.
out=$work/readonly
mkdir -p "$out"
ro_ready=0
if mount -t tmpfs -o ro,size=1m tmpfs "$out" 2>/dev/null; then mounts+=("$out"); ro_ready=1
elif ((EUID != 0)); then chmod 555 "$out"; ro_ready=1; fi
if ((ro_ready)); then
  "$bhasa" "${run_args[@]}" --output "$out" >"$work/readonly.log" 2>&1
  rc=$?
  msg=$(grep -m1 'bhasa: error' "$work/readonly.log")
  if ((rc == 2 || rc == 3)) && [[ $msg == *"$out"* ]]; then report PASS "read-only output dir" "exit $rc: ${msg:0:110}"
  else report FAIL "read-only output dir" "exit $rc: $msg"; fi
else
  report SKIP "read-only output dir" "root ignores permissions and no read-only mount is possible"
fi

# Two runs into one output directory: the second is refused by the lock
# while the first goes on to the reference scores.
out=$work/concurrent
"$bhasa" "${run_args[@]}" --output "$out" >"$out.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [[ -f $out/soak/run_0/run.lock ]] && break; sleep 0.05; done
"$bhasa" "${run_args[@]}" --output "$out" >"$work/second.log" 2>&1
rc=$?
wait "$pid"
first_rc=$?
msg=$(grep -m1 'bhasa: error' "$work/second.log")
if ((rc != 3)); then report FAIL "two runs, one output dir" "second run exited $rc (want 3): $msg"
elif ((first_rc != 0)); then report FAIL "two runs, one output dir" "first run exited $first_rc"
else check_same "two runs, one output dir" "$out" "second refused, exit 3: ${msg:0:90}"; fi

# A journal damaged in the middle: refused with its line, file left as it was.
out=$work/damaged
cp -r "$work/reference" "$out"
journal=$(journal_of "$out")
{ sed -n 1p "$journal"; sed -n 2p "$journal" | head -c 40; echo; sed -n '3,$p' "$journal"; } >"$journal.cut"
mv "$journal.cut" "$journal"
before=$(sha256sum <"$journal")
"$bhasa" "${run_args[@]}" --output "$out" >"$work/damaged.log" 2>&1
rc=$?
msg=$(grep -m1 'bhasa: error' "$work/damaged.log")
if ((rc == 2)) && [[ $msg == *"responses.jsonl:2:"* && $(sha256sum <"$journal") == "$before" ]]; then
  report PASS "journal damaged in middle" "exit 2, journal untouched: ${msg:0:100}"
else report FAIL "journal damaged in middle" "exit $rc: $msg"; fi

echo
((failures == 0)) && echo "soak: all passed" || echo "soak: $failures failed"
((failures == 0))
