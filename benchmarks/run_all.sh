#!/usr/bin/env bash
# Builds the benchmarks and runs each one, printing its results.
#
#   benchmarks/run_all.sh [--smoke] [BUILD_DIR]
#
# BUILD_DIR defaults to build-bench at the top of the repository (configured here if it does not exist yet, with
# tests and examples off: the benchmarks need neither). Without --smoke every benchmark runs with its defaults, the
# parameters of the issues (about 5 minutes in all on the 2-vCPU reference machine). With --smoke each runs once with
# tiny parameters, in a few seconds in all: CI calls it so the benchmarks keep compiling and running; its figures mean
# nothing. A benchmark fails (and so does this script) only if it crashes, hangs or computes a wrong result, never
# because a figure misses its target. Results and how to read them: docs/benchmarks.md.
set -euo pipefail

smoke=0
build_dir=""
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=1 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run_all.sh: unknown option $arg" >&2; exit 2 ;;
    *) build_dir="$arg" ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${build_dir:-$root/build-bench}"

if [ ! -f "$build_dir/build.ninja" ]; then
  meson setup "$build_dir" "$root" --buildtype=release -Dbenchmarks=true -Dtests=false -Dexamples=false
fi
# -j2: the reference machine has two cores, shared with other work.
targets=(skynet yield_storm spawn_rate parked_rss idle_cpu ping_pong n_to_one restart_storm idle_actors thread_ring big
  distributor io_nop tcp_echo file_read)
ninja -C "$build_dir" -j2 "${targets[@]/#/benchmarks/}"

if [ "$smoke" -eq 1 ]; then
  # The tiny parameters live in benchmarks/meson.build (the test suite runs them too).
  exec meson test -C "$build_dir" --suite benchmarks-smoke --print-errorlogs
else
  runs=("${targets[@]}")
  limit=1800
fi

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
failed=()
for run in "${runs[@]}"; do
  read -r -a cmd <<<"$run"
  echo
  echo "=== ${cmd[0]}"
  start_ns=$(date +%s%N)
  # `timeout` turns a hang into a failure instead of a stuck CI job.
  if ! timeout --signal=KILL "$limit" "$build_dir/benchmarks/${cmd[0]}" "${cmd[@]:1}"; then
    failed+=("${cmd[0]}")
  fi
  elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
  printf '(%s took %d.%03d s; load average now %s)\n' "${cmd[0]}" $((elapsed_ms / 1000)) $((elapsed_ms % 1000)) \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
done

echo
if [ "${#failed[@]}" -ne 0 ]; then
  echo "benchmarks: ${#failed[@]} failed: ${failed[*]}"
  exit 1
fi
echo "benchmarks: ${#runs[@]} ran, 0 failed"
