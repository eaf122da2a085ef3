#!/usr/bin/env bash
# run-exec.sh - install what is needed, build, and trace every exec:
#   scripts/run-exec.sh [options for gadgethost run trace/exec.lua]
# e.g. scripts/run-exec.sh -o json --timeout 10
# Setup and build output go to stderr, so stdout carries only the events.
set -euo pipefail

cd "$(dirname "$0")/.."

bash scripts/setup.sh >&2
[ -f build/meson-private/coredata.dat ] || meson setup build >&2
ninja -C build >&2

exec build/host/gadgethost run trace/exec.lua --host "$@"
