#!/usr/bin/env bash
# Process start and exit: `bhasa --version` (loads every library, runs every
# static constructor, does nothing else), timed RUNS times per build, builds
# alternating, so that a slow minute slows them all. Prints the median and
# the 10th percentile in milliseconds.
#
# usage: bench/startup.sh [BHASA [OTHER...]]   (default: build/bhasa)
# Environment: RUNS (200).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[[ $# -gt 0 ]] || set -- "$root/build/bhasa"
RUNS=${RUNS:-200} python3 - "$@" <<'EOF'
import os, statistics, subprocess, sys, time

bins, runs = sys.argv[1:], int(os.environ["RUNS"])
times = {b: [] for b in bins}
for _ in range(runs):
    for b in bins:
        t = time.perf_counter()
        subprocess.run([b, "--version"], stdout=subprocess.DEVNULL, check=True)
        times[b].append(1000 * (time.perf_counter() - t))
print(f"bhasa --version, {runs} runs each, load {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
for b, t in times.items():
    print(f"{b:40s} median {statistics.median(t):6.2f} ms   p10 {sorted(t)[len(t) // 10]:6.2f} ms")
EOF
