#!/usr/bin/env bash
# Generates the parquet test fixtures into OUT_DIR (default build/parquet_fixtures):
# installs the pinned writer (parquet-wasm, apache-arrow) from npm into
# OUT_DIR/node, then runs generate.cjs into OUT_DIR/files. Reruns only when
# generate.cjs or package.json changed. Safe to call from parallel tests.
# Exits 3 when node or npm is missing (the tests then skip).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../../build/parquet_fixtures}
mkdir -p "$out"
out=$(cd "$out" && pwd)
command -v node >/dev/null && command -v npm >/dev/null || { echo "parquet fixtures: node/npm not found" >&2; exit 3; }
exec 9>"$out/.lock"
flock 9
stamp=$(cat "$here/generate.cjs" "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
if [[ -f "$out/files/.stamp" && $(cat "$out/files/.stamp") == "$stamp" ]]; then exit 0; fi
mkdir -p "$out/node"
cp "$here/package.json" "$here/package-lock.json" "$out/node/"
(cd "$out/node" && npm ci --no-audit --no-fund --loglevel=error >&2)
rm -rf "$out/files"
NODE_PATH="$out/node/node_modules" node "$here/generate.cjs" "$out/files" >&2
echo "$stamp" > "$out/files/.stamp"
