#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite twice: an optimized build, then an
# AddressSanitizer + UndefinedBehaviorSanitizer build; then builds the peer benchmarks (Go, Erlang, CAF, Tokio, raw
# liburing; their Debian packages are installed here only) and runs each once with tiny parameters
# (benchmarks/peers/run.py --smoke, about 2.5 minutes with the installs), so that none rots; it counts as one test.
# Ends with a line "N passed, N failed".
# Usage: scripts/test.sh [--no-sanitize] [--no-peers]
set -uo pipefail
cd "$(dirname "$0")/.."

"$(dirname "$0")/install-deps.sh" || { echo "test.sh: installing dependencies failed"; exit 1; }

sanitize=1
peers=1
for arg in "$@"; do
  case "$arg" in
    --no-sanitize) sanitize=0 ;;
    --no-peers) peers=0 ;;
    *) echo "test.sh: unknown option $arg (--no-sanitize, --no-peers)"; exit 2 ;;
  esac
done
failures=0

# configure DIR OPTIONS...: a fresh setup, or a reconfigure of an existing build dir.
configure() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

# Each phase says when it starts (seconds since the script began): CI must finish within 30 minutes.
run_suite() {
  local dir=$1; shift
  echo "== $dir: build (at ${SECONDS} s)"
  if ! ninja -C "$dir"; then
    echo "test.sh: build in $dir failed"
    failures=1
    return
  fi
  echo "== $dir: test (at ${SECONDS} s)"
  meson test -C "$dir" --print-errorlogs "$@" || failures=1
}

configure build -Dbuildtype=release
run_suite build

if [ "$sanitize" = 1 ]; then
  # Only what runs our code: the consumer tests rebuild the library themselves, the fuzzer brings its own
  # sanitizers, the compile checks run nothing, and the examples' code paths are the tests' (the optimized pass runs
  # the examples); leaving them out keeps CI well under its time limit.
  configure build-asan -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false \
    -Dexamples=false
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan --no-suite consumer --no-suite fuzz --no-suite compile_fail --no-suite docs
fi

# The peers' smoke run reuses the optimized build (its benchmarks are built already); figures mean nothing.
peers_smoke=skipped
if [ "$peers" = 1 ]; then
  echo "== peers: smoke (at ${SECONDS} s)"
  if benchmarks/peers/run.py --smoke --build-dir build; then peers_smoke=ok; else peers_smoke=failed; fi
fi

echo "== done (at ${SECONDS} s)"

# One closing line over every test run above, from meson's own logs (and the peers' smoke run, as one test).
PEERS_SMOKE=$peers_smoke python3 - build $( [ "$sanitize" = 1 ] && echo build-asan ) <<'PY'
import json, os, sys
passed = failed = skipped = 0
peers = os.environ.get("PEERS_SMOKE", "skipped")
passed += peers == "ok"
failed += peers == "failed"
for d in sys.argv[1:]:
    try:
        lines = open(f"{d}/meson-logs/testlog.json").read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        result = json.loads(line).get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
PY
summary=$?
[ "$failures" = 0 ] && [ "$summary" = 0 ]
