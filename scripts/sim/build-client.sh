#!/bin/sh
# Builds the simulator's fast stand-in client (scripts/sim/sim-client.c) into dist/sim-client; called by
# `npm run build`. Without a working C compiler (gcc and libc6-dev, which scripts/install-deps.sh installs)
# it says so, removes any older binary and leaves the wrappers on their Node fallback: the same output,
# ~0.3 s a call instead of ~4 ms (docs/simulator.md). The build itself does not fail for that; the unit
# test test/unit/sim/fast-client.test.ts does.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
src=$root/scripts/sim/sim-client.c
bin=$root/dist/sim-client
fallback="the simulator wrappers (scripts/sim/) will use the Node client, ~0.3 s a call instead of ~4 ms"
cc=${CC:-}
if [ -z "$cc" ]; then
  for c in gcc cc clang; do
    if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
  done
fi
mkdir -p "$root/dist"
if [ -z "$cc" ]; then
  rm -f "$bin"
  echo "build-client: no C compiler found (apt-get install gcc libc6-dev): $fallback" >&2
  exit 0
fi
# Compile to a temporary name and rename: a wrapper running meanwhile never sees half a binary.
if ! "$cc" -O2 -std=c11 -Wall -Wextra -Werror -o "$bin.tmp" "$src"; then
  rm -f "$bin.tmp" "$bin"
  echo "build-client: $cc could not build $src (above; apt-get install gcc libc6-dev): $fallback" >&2
  exit 0
fi
mv -f "$bin.tmp" "$bin"
