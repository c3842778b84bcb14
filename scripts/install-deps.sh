#!/usr/bin/env bash
# Installs, from Debian's packages only, whatever bastion-cpp needs to build, test and run its examples.
# Safe to run again: packages already present are left alone. Needs root (or sudo) the first time.
set -euo pipefail

packages=(
  g++ meson ninja-build pkg-config cmake
  libboost-dev libboost-fiber-dev libboost-context-dev
  libhwloc-dev liburing-dev doctest-dev
  libmsgpack-cxx-dev
  libcurl4-openssl-dev nlohmann-json3-dev etcd-server iproute2
  # zeroconf discovery: Avahi's client library to build with, the daemon and D-Bus for its test, which runs them inside
  # network namespaces (tests/distributed/zeroconf_test.py). About 0.6 MB to download where dbus is already installed.
  libavahi-client-dev avahi-daemon dbus
  doxygen
  # The frame fuzzer (scripts/fuzz.sh; its meson test skips without them): clang++ and libFuzzer with the sanitizer
  # runtimes. About 9 MB to download on top of the rest, since doxygen already pulls in LLVM 14's libraries.
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
