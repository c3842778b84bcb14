#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite twice: an optimized build, then an
# AddressSanitizer + UndefinedBehaviorSanitizer build. Ends with a line "N passed, N failed".
# Usage: scripts/test.sh [--no-sanitize]
set -uo pipefail
cd "$(dirname "$0")/.."

"$(dirname "$0")/install-deps.sh" || { echo "test.sh: installing dependencies failed"; exit 1; }

sanitize=1
[ "${1:-}" = "--no-sanitize" ] && sanitize=0
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

run_suite() {
  local dir=$1; shift
  echo "== $dir: build"
  if ! ninja -C "$dir"; then
    echo "test.sh: build in $dir failed"
    failures=1
    return
  fi
  echo "== $dir: test"
  meson test -C "$dir" --print-errorlogs "$@" || failures=1
}

configure build -Dbuildtype=release
run_suite build

if [ "$sanitize" = 1 ]; then
  # The consumer tests rebuild the library themselves and gain nothing from sanitizers.
  configure build-asan -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan --no-suite consumer
fi

# One closing line over every test run above, from meson's own logs.
python3 - build $( [ "$sanitize" = 1 ] && echo build-asan ) <<'PY'
import json, sys
passed = failed = skipped = 0
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
