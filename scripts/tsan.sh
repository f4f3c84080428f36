#!/usr/bin/env bash
# Builds bhasa under ThreadSanitizer in ./build-tsan and runs the tests of the
# threaded parts: the built-in engine (test_native), serve and the openai client
# (test_backends), and the command-line tests that start `bhasa serve` or run the
# engine (test_e2e). Any report fails its test. Usage: scripts/tsan.sh [CTEST ARGS...]
#
# Debian's libtbb is not instrumented, so TSan cannot see oneTBB's task hand-offs
# and reports a race in nearly every parallel_for. The tests therefore run against
# the same oneTBB release built from Debian's source package with TSan (same
# headers, same ABI; build-tsan/onetbb, built once). Fetching the source needs a
# deb-src entry; as root the script adds one for deb.debian.org.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
sudo=""
[[ $(id -u) -eq 0 ]] || sudo=sudo

tbb=$PWD/build-tsan/onetbb
if [[ ! -f $tbb/inst/lib/libtbb.so.12 ]]; then
  command -v dpkg-source >/dev/null || $sudo apt-get install -y -q dpkg-dev
  version=$(dpkg-query -W -f='${Version}' libtbb-dev)
  if ! grep -rqs '^\(Types: deb-src\|deb-src \)' /etc/apt/sources.list /etc/apt/sources.list.d; then
    [[ -z $sudo ]] || { echo "tsan.sh: needs a deb-src entry in /etc/apt/sources.list.d to fetch onetbb's source" >&2; exit 2; }
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$codename" > /etc/apt/sources.list.d/bhasa-deb-src.sources
    apt-get update -q
  fi
  rm -rf "$tbb" && mkdir -p "$tbb"
  (cd "$tbb" && apt-get source -q --download-only "onetbb=$version" && dpkg-source -x onetbb_*.dsc src >/dev/null)
  cmake -S "$tbb/src" -B "$tbb/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_SANITIZE=thread -DTBB_TEST=OFF \
    -DTBB_EXAMPLES=OFF -DTBBMALLOC_BUILD=OFF -DTBB_STRICT=OFF -DCMAKE_INSTALL_PREFIX="$tbb/inst" >/dev/null
  cmake --build "$tbb/build" -j"$jobs" >/dev/null
  cmake --install "$tbb/build" >/dev/null
fi

cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O1 -g1 -DNDEBUG" \
  -DBHASA_BENCH=OFF -DBHASA_CUDA=OFF -DBHASA_SANITIZE=thread ${BHASA_CMAKE_ARGS:-}
cmake --build build-tsan -j"$jobs" --target bhasa test_native test_backends test_e2e
export LD_LIBRARY_PATH=$tbb/inst/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
ctest --test-dir build-tsan --output-on-failure -j"$jobs" --timeout 1800 -L 'native|backends' "$@"
ctest --test-dir build-tsan --output-on-failure -j"$jobs" --timeout 1800 -L e2e \
  -R '^(Serve[A-Za-z]*|NativeServerParity|RunNative|EngineCommands)\.' "$@"
