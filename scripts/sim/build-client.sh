#!/bin/sh
# Builds the simulator's fast stand-in client (scripts/sim/sim-client.c) into dist/sim-client; called by
# `npm run build`. Without a C compiler it says so and leaves the wrappers on their Node fallback
# (docs/simulator.md); scripts/install-deps.sh installs gcc.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cc=${CC:-}
if [ -z "$cc" ]; then
  for c in gcc cc clang; do
    if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
  done
fi
if [ -z "$cc" ]; then
  echo "build-client: no C compiler (install gcc): the simulator wrappers will use the slow Node client" >&2
  exit 0
fi
mkdir -p "$root/dist"
# Compile to a temporary name and rename: a wrapper running meanwhile never sees half a binary.
"$cc" -O2 -std=c11 -Wall -Wextra -Werror -o "$root/dist/sim-client.tmp" "$root/scripts/sim/sim-client.c"
mv -f "$root/dist/sim-client.tmp" "$root/dist/sim-client"
