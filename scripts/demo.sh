#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo program.
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/install-deps.sh"
if [ ! -f build/build.ninja ]; then meson setup build -Dbuildtype=release >/dev/null; fi
ninja -C build examples/supervised_demo >/dev/null
exec ./build/examples/supervised_demo
