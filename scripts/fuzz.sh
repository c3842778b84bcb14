#!/usr/bin/env bash
# Fuzzes the cluster's frame decoder (lib/distributed/frame.cpp) with libFuzzer: builds tests/fuzz/frame_fuzzer.cpp
# with clang++ -fsanitize=fuzzer,address,undefined, then runs it from the seed corpus tests/fuzz/corpus/frame/ for a
# bounded time. The corpus is copied to a temporary directory first, so a run never writes into the repository.
#
# Usage:
#   scripts/fuzz.sh [SECONDS] [LIBFUZZER_OPTION...]   fuzz for SECONDS (default 20; 0 = until stopped or a crash)
#   scripts/fuzz.sh repro FILE...                      run the fuzzer on these inputs only (a crash it reported)
#   scripts/fuzz.sh corpus                             regenerate the seed corpus (tests/fuzz/make_corpus.cpp)
#
# Exit status: 0 nothing found; 1 a crash, a hang, a leak, a sanitizer report, or a build failure; 77 (meson's
# "skipped") when there is no clang++ with libFuzzer: on Debian 12, apt-get install clang libclang-rt-14-dev.
#
# Environment:
#   FUZZ_BUILD_DIR   where the fuzzer is built and crashes are written (default: build-fuzz/); reused between runs,
#                    so only what changed is recompiled (meson's test uses <build>/tests/fuzz)
#   CLANGXX          the clang++ to use (default: clang++, else clang++-19 ... clang++-14)
#   FUZZ_KEEP_CORPUS a directory: the run's grown corpus is left there instead of being thrown away
#   FRAME_FUZZ_MAX_ALLOC_RATIO=R   also a crash: a decode allocating more than R x the body's size + 64 KiB
#
# Fuzzing longer by hand (one core; the meson test runs 20 s):
#   scripts/fuzz.sh 3600                               an hour
#   scripts/fuzz.sh 0                                  until Ctrl-C or a crash
#   scripts/fuzz.sh 600 -jobs=1                        through libFuzzer's job mode (one worker; log at the end)
#   FUZZ_KEEP_CORPUS=/tmp/grown scripts/fuzz.sh 3600   keep what the run discovered, then fold the inputs that add
#     coverage into the repository's corpus (new files named by their SHA-1):
#       build-fuzz/frame_fuzzer -merge=1 -max_len=4096 tests/fuzz/corpus/frame /tmp/grown
#
# When it finds something, the input is saved as $FUZZ_BUILD_DIR/artifacts/crash-<sha1> (or timeout-, leak-, oom-)
# and the stack is in the output. To keep it as a regression input:
#   scripts/fuzz.sh repro build-fuzz/artifacts/crash-<sha1>         # the same report again
#   cp build-fuzz/artifacts/crash-<sha1> tests/fuzz/corpus/frame/   # every later run (and the meson test) replays it
#   xxd build-fuzz/artifacts/crash-<sha1>                           # the bytes, for the bug report
# Fix frame.cpp, then `scripts/fuzz.sh repro tests/fuzz/corpus/frame/crash-<sha1>` must pass. The corpus files are
# streams as a peer sends them: u32 big-endian length, MessagePack body, possibly several frames.
set -uo pipefail
caller=$PWD
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

# A path given relative to where the script was called from.
from_caller() { case $1 in /*) echo "$1" ;; *) echo "$caller/$1" ;; esac; }

build_dir=$(from_caller "${FUZZ_BUILD_DIR:-$root/build-fuzz}")
corpus=$root/tests/fuzz/corpus/frame
mkdir -p "$build_dir" || exit 1
build_dir=$(cd "$build_dir" && pwd)

skip() {
  echo "fuzz.sh: SKIPPED: $*"
  echo "fuzz.sh: on Debian 12: apt-get install clang libclang-rt-14-dev"
  exit 77
}

# The compiler, and whether it can link a libFuzzer target with ASan and UBSan (libclang-rt-NN-dev).
find_clang() {
  if [ -n "${CLANGXX:-}" ]; then
    command -v "$CLANGXX" && return 0
    return 1
  fi
  local candidate
  for candidate in clang++ clang++-19 clang++-18 clang++-17 clang++-16 clang++-15 clang++-14; do
    command -v "$candidate" && return 0
  done
  return 1
}

probe_libfuzzer() {
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-probe.XXXXXX") || return 1
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$dir/probe.cpp"
  "$cxx" -fsanitize=fuzzer,address,undefined "$dir/probe.cpp" -o "$dir/probe" >"$dir/log" 2>&1
  local rc=$?
  [ $rc -eq 0 ] || sed 's/^/fuzz.sh:   /' "$dir/log" | head -5
  rm -rf "$dir"
  return $rc
}

# up_to_date OBJECT: the object exists and is newer than every file its depfile (OBJECT.d) lists.
up_to_date() {
  local object=$1 dep
  [ -f "$object" ] && [ -f "$object.d" ] || return 1
  [ "$root/scripts/fuzz.sh" -nt "$object" ] && return 1  # the flags may have changed
  for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$object.d"); do
    [ "$dep" -nt "$object" ] && return 1
  done
  return 0
}

# build COMPILER OUTPUT FLAGS... -- SOURCES...: one compile at a time (the machine is shared), then one link.
build() {
  local compiler=$1 output=$2; shift 2
  local flags=() sources=() objects=() source object
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
  sources=("$@")
  local stale=0
  for source in "${sources[@]}"; do
    object=$build_dir/obj/$(basename "$output")/${source//\//_}.o
    mkdir -p "$(dirname "$object")"
    objects+=("$object")
    if ! up_to_date "$object"; then
      echo "fuzz.sh: compiling $source"
      "$compiler" "${flags[@]}" -MMD -MF "$object.d" -c "$source" -o "$object" || return 1
      stale=1
    fi
  done
  if [ $stale = 1 ] || [ ! -x "$output" ]; then
    "$compiler" "${flags[@]}" "${objects[@]}" -o "$output" || return 1
  fi
}

# -fsized-deallocation: g++'s default, not clang 14's; include/bastion/detail/letter.hpp calls a sized delete.
common_flags=(-std=c++20 -fsized-deallocation -g -Iinclude -Imacros -Ilib -Wall -Wextra)
library_sources=(lib/distributed/frame.cpp lib/actor/bastion_id.cpp)

mode=fuzz
case "${1:-}" in
  repro) mode=repro; shift ;;
  corpus) mode=corpus; shift ;;
esac

if [ $mode = corpus ]; then
  # Plain C++: no clang needed. Overwrites the generated seeds; crash-* files found by the fuzzer stay.
  generator=$build_dir/make_corpus
  build "${CXX:-c++}" "$generator" "${common_flags[@]}" -O1 -- tests/fuzz/make_corpus.cpp "${library_sources[@]}" ||
    { echo "fuzz.sh: building the corpus generator failed"; exit 1; }
  mkdir -p "$corpus" && "$generator" "$corpus" || exit 1
  echo "fuzz.sh: wrote $(ls "$corpus" | wc -l) files in tests/fuzz/corpus/frame"
  exit 0
fi

cxx=$(find_clang) || skip "no clang++ found"
probe_libfuzzer ||
  skip "$cxx cannot link -fsanitize=fuzzer,address,undefined (libFuzzer or the sanitizer runtimes are missing)"

fuzzer=$build_dir/frame_fuzzer
# -fno-sanitize-recover: a UBSan report stops the run like an ASan one, instead of scrolling past.
# MSGPACK_ZONE_CHUNK_SIZE=1: a decoded frame's strings and arrays live in its msgpack zone, by default 8 KiB chunks
# that ASan sees as one block, so a view reading past its string would go unnoticed; with 1-byte chunks nearly each
# string or array gets its own malloc (rounded up to a power of two), and ASan catches most such reads.
build "$cxx" "$fuzzer" "${common_flags[@]}" -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -DMSGPACK_ZONE_CHUNK_SIZE=1 \
  -- tests/fuzz/frame_fuzzer.cpp "${library_sources[@]}" || { echo "fuzz.sh: building the fuzzer failed"; exit 1; }

# Exit codes forced to 1: libFuzzer's own defaults (77 for a crash) would read as "skipped" to meson.
fuzzer_options=(-max_len=4096 -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1)

if [ $mode = repro ]; then
  [ $# -gt 0 ] || { echo "usage: scripts/fuzz.sh repro FILE..."; exit 2; }
  inputs=()
  for input in "$@"; do inputs+=("$(from_caller "$input")"); done
  "$fuzzer" "${fuzzer_options[@]}" "${inputs[@]}"
  rc=$?
  [ $rc = 0 ] && echo "fuzz.sh: no crash on $*" || echo "fuzz.sh: the fuzzer failed on $* (exit $rc)"
  [ $rc = 0 ] || exit 1
  exit 0
fi

seconds=20
if [[ ${1:-} =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/frame-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
if [ -n "${FUZZ_KEEP_CORPUS:-}" ]; then
  run_corpus=$(from_caller "$FUZZ_KEEP_CORPUS")
  mkdir -p "$run_corpus" || exit 1
else
  run_corpus=$work/corpus
  mkdir -p "$run_corpus"
fi
cp "$corpus"/* "$run_corpus"/ || exit 1
artifacts=$build_dir/artifacts
mkdir -p "$artifacts"
ls "$artifacts" | sort >"$work/artifacts-before"

echo "fuzz.sh: fuzzing for ${seconds}s from $(ls "$corpus" | wc -l) seeds ($fuzzer)"
# libFuzzer's job mode writes fuzz-N.log in the current directory (the temporary one) and prints it at the end.
(cd "$work" && "$fuzzer" "${fuzzer_options[@]}" -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$@" "$run_corpus")
rc=$?

if [ $rc = 0 ]; then
  echo "fuzz.sh: nothing found in ${seconds}s"
  exit 0
fi
echo "fuzz.sh: FOUND SOMETHING (libFuzzer exit $rc); new inputs in $artifacts:"
ls "$artifacts" | sort | comm -13 "$work/artifacts-before" - | sed "s|^|  $artifacts/|"
echo "fuzz.sh: replay with scripts/fuzz.sh repro FILE; keep it with cp FILE tests/fuzz/corpus/frame/"
echo "fuzz.sh: (see the top of scripts/fuzz.sh)"
exit 1
