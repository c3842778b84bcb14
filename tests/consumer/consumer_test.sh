#!/usr/bin/env bash
# Proves a separate Meson project gets bastion with a plain `dependency('bastion')`, both ways:
#
#   installed   stage `meson install --destdir` of BUILD_ROOT, then build tests/consumer/project against the
#               staged copy through pkg-config (PKG_CONFIG_PATH + PKG_CONFIG_SYSROOT_DIR) and run it with
#               LD_LIBRARY_PATH pointing into the staging dir;
#   subproject  copy tests/consumer/project to a temp dir, symlink subprojects/bastion -> SOURCE_ROOT and
#               configure with --force-fallback-for=bastion, so the subproject's meson.override_dependency
#               answers (never an installed copy). Built with buildtype=debug (-O0) and the subproject's
#               tests/examples/benchmarks off, to keep it fast.
#
# Either way the consumer must print "consumer: 42" and exit 0.
#
# usage: consumer_test.sh installed|subproject BUILD_ROOT SOURCE_ROOT [MESON]
# env:   CONSUMER_JOBS (default 2) for the nested builds; CONSUMER_KEEP=1 keeps the temp dir for a post-mortem.
set -euo pipefail

usage() {
    echo "usage: $0 installed|subproject BUILD_ROOT SOURCE_ROOT [MESON]" >&2
    exit 2
}
[[ $# -ge 3 && $# -le 4 ]] || usage
mode=$1
build_root=$2
source_root=$3
meson=${4:-meson}
case $mode in installed | subproject) ;; *) usage ;; esac

project_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/project
jobs=${CONSUMER_JOBS:-2}
expected='consumer: 42'

say() { echo "consumer ($mode): $*"; }
fail() {
    echo "consumer ($mode): FAIL: $*" >&2
    exit 1
}

[[ -f $build_root/build.ninja ]] || fail "BUILD_ROOT '$build_root' is not a configured Meson build dir"
[[ -f $source_root/meson.build ]] || fail "SOURCE_ROOT '$source_root' has no meson.build"
[[ -f $project_dir/meson.build ]] || fail "consumer project missing: $project_dir/meson.build"
build_root=$(cd "$build_root" && pwd)
source_root=$(cd "$source_root" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/bastion-consumer-$mode.XXXXXX")
cleanup() {
    if [[ ${CONSUMER_KEEP:-0} == 1 ]]; then
        echo "consumer ($mode): kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# step NAME CMD...: runs CMD with its output in $work/NAME.log; on failure shows the log's tail and fails.
step() {
    local name=$1
    shift
    local log=$work/$name.log
    say "$name"
    if ! "$@" >"$log" 2>&1; then
        echo "----- $name: last 80 lines of output -----" >&2
        tail -n 80 "$log" >&2
        echo "----- end of $name output -----" >&2
        fail "$name failed: $*"
    fi
}

# check_output OUTPUT STATUS: the consumer must have exited 0 and printed exactly the expected line.
check_output() {
    local out=$1 status=$2
    printf '%s\n' "$out"
    [[ $status -eq 0 ]] || fail "consumer exited with status $status (expected 0)"
    [[ $out == "$expected" ]] || fail "consumer printed '$out', expected '$expected'"
}

# The libbastion the dynamic loader picks for BINARY (with the current environment).
loaded_bastion() {
    ldd "$1" | awk '/libbastion\.so/ { print $3 }'
}

consumer_installed() {
    local stage=$work/stage build=$work/build
    # --no-rebuild: installing must not rebuild the whole tree (an unrelated broken example or benchmark would
    # fail this test); meson.build makes this test depend on the installed libraries, so `meson test` builds them.
    step install "$meson" install --no-rebuild -C "$build_root" --destdir "$stage"

    local pcs
    mapfile -t pcs < <(find "$stage" -path '*/pkgconfig/bastion.pc' -type f)
    [[ ${#pcs[@]} -eq 1 ]] || fail "expected one staged pkgconfig/bastion.pc under $stage, found ${#pcs[@]}: ${pcs[*]-}"
    local pcdir libdir
    pcdir=$(dirname "${pcs[0]}")
    libdir=$(dirname "$pcdir")
    say "staged bastion.pc: ${pcs[0]#"$stage"}"
    compgen -G "$libdir/libbastion.so*" >/dev/null || fail "no libbastion.so next to the staged .pc (in $libdir)"
    [[ -n $(find "$stage" -path '*/include/bastion/prelude.hpp') ]] || fail "bastion/prelude.hpp was not installed"
    [[ -n $(find "$stage" -path '*/include/bastion/dsl/spawn.hpp') ]] || fail "bastion/dsl/spawn.hpp (macros) was not installed"

    # PKG_CONFIG_SYSROOT_DIR makes pkg-config prefix the .pc's -I/-L (/usr/local/...) with the staging dir.
    # nofallback: the consumer has no subprojects dir, and must not find bastion any other way.
    local -a pkgenv=(env "PKG_CONFIG_PATH=$pcdir" "PKG_CONFIG_SYSROOT_DIR=$stage")
    step pkg-config "${pkgenv[@]}" pkg-config --cflags --libs bastion
    say "pkg-config: $(cat "$work/pkg-config.log")"
    grep -q -- "-L$stage" "$work/pkg-config.log" || fail "pkg-config's -L does not point into the staging dir"

    step setup "${pkgenv[@]}" "$meson" setup --wrap-mode=nofallback "$build" "$project_dir"
    grep -Eq 'Run-time dependency bastion found: YES' "$work/setup.log" ||
        fail "meson setup did not report 'Run-time dependency bastion found: YES' from pkg-config"
    step build "$meson" compile -C "$build" -j "$jobs"
    grep -q -- "$stage" "$build/build.ninja" || fail "the consumer's build.ninja never mentions the staging dir $stage"

    local bin=$build/consumer lib_path out status=0
    lib_path="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    local loaded
    loaded=$(LD_LIBRARY_PATH=$lib_path loaded_bastion "$bin")
    [[ $loaded == "$libdir"/* ]] || fail "consumer loads libbastion from '$loaded', not from the staged $libdir"
    say "run (libbastion: ${loaded#"$stage"} in the staging dir)"
    out=$(LD_LIBRARY_PATH=$lib_path "$bin" 2>&1) || status=$?
    check_output "$out" "$status"
}

consumer_subproject() {
    local src=$work/src build=$work/build
    cp -R "$project_dir" "$src"
    rm -rf "$src/subprojects"
    mkdir "$src/subprojects"
    ln -s "$source_root" "$src/subprojects/bastion"

    step setup "$meson" setup --force-fallback-for=bastion \
        -Dbuildtype=debug \
        -Dbastion:tests=false -Dbastion:examples=false -Dbastion:benchmarks=false \
        "$build" "$src"
    # Meson 1.0 logs the forced fallback, the subproject, then the dependency the subproject overrode.
    local want
    for want in 'Looking for a fallback subproject for the dependency bastion' \
        'Executing subproject bastion' \
        'Dependency bastion found: YES .*\(overridden\)'; do
        grep -Eq -- "$want" "$work/setup.log" ||
            fail "meson setup did not resolve bastion through the subproject's meson.override_dependency (no '$want')"
    done
    grep -Eq -- '-O0[ "]' "$build/compile_commands.json" || fail "the subproject is not built at -O0 (buildtype=debug)"
    step build "$meson" compile -C "$build" -j "$jobs"

    local bin=$build/consumer out status=0 loaded
    # No LD_LIBRARY_PATH: the build-tree rpath must find the subproject's libbastion.
    loaded=$(
        unset LD_LIBRARY_PATH
        loaded_bastion "$bin"
    )
    [[ $loaded == "$build/subprojects/bastion/"* ]] ||
        fail "consumer loads libbastion from '$loaded', not from the subproject build $build/subprojects/bastion"
    say "run (libbastion: ${loaded#"$build/"} in the consumer's build dir)"
    out=$(
        unset LD_LIBRARY_PATH
        "$bin" 2>&1
    ) || status=$?
    check_output "$out" "$status"
}

"consumer_$mode"
say "OK"
