#!/usr/bin/env bash
# Installs the pinned OpenAI JavaScript SDK (package.json, package-lock.json)
# from npm into OUT_DIR/node_modules (default build/openai_sdk). Reinstalls
# only when the pinned files changed. Safe to call from parallel tests.
# Exits 3 when node or npm is missing and 4 when npm cannot install (offline):
# the test then skips, saying which.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../../build/openai_sdk}
mkdir -p "$out"
out=$(cd "$out" && pwd)
command -v node >/dev/null && command -v npm >/dev/null || { echo "openai sdk: node/npm not found" >&2; exit 3; }
exec 9>"$out/.lock"
flock 9
stamp=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
if [[ -f "$out/.stamp" && $(cat "$out/.stamp") == "$stamp" ]]; then exit 0; fi
cp "$here/package.json" "$here/package-lock.json" "$out/"
(cd "$out" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >&2) || { echo "openai sdk: npm ci failed" >&2; exit 4; }
echo "$stamp" > "$out/.stamp"
