#!/usr/bin/env bash
# Installs bhasa's build and test dependencies from Debian packages.
# Idempotent and non-interactive; skips apt entirely when everything is present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libboost-dev nlohmann-json3-dev libsimdjson-dev libicu-dev libre2-dev libtbb-dev
  libyaml-cpp-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libhwy-dev libcld2-dev libfasttext-dev libmimalloc-dev
  libzstd-dev libsnappy-dev zlib1g-dev
  jq time
)
# Node runs the writer of the parquet test fixtures; a node from elsewhere
# (nodesource, nvm) with its own npm is as good.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
if [[ "${BHASA_WITH_BROWSER:-0}" == 1 ]]; then packages+=(chromium); fi
# scripts/fuzz.sh: clang, libFuzzer and the sanitizer runtimes (libclang-rt-dev,
# which clang only recommends), llvm-symbolizer (llvm) so that reports name
# file and line; scripts/soak-kill.sh: jq.
if [[ "${BHASA_WITH_FUZZ:-0}" == 1 ]]; then packages+=(clang libclang-rt-dev llvm jq); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
