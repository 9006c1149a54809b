#!/usr/bin/env bash
# Builds the root tree that test/lab/systemd-unit.test.ts boots with systemd-nspawn: a
# debootstrapped Debian (minbase + systemd + libstdc++ for the host's node) from the mirror this
# machine's apt uses. The test never modifies it (it boots it with --volatile=overlay and
# bind-mounts node and the installed program), so one build serves every run.
# Cached under .lab/cache/systemd-tree-KEY/, KEY = hash of its inputs: the suite, the mirror, the
# package list and RECIPE (bump it when the steps below change what ends up in the tree).
# Prints the tree's path on stdout (last line); progress goes to stderr.
#
# Usage: scripts/lab/build-systemd-tree.sh [--print-key]
#   env LAB_MIRROR  Debian mirror to use instead of the one in /etc/apt/sources*
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=$PWD/.lab/cache
need() { command -v "$1" >/dev/null || { echo "systemd tree: missing '$1' (run: bash scripts/install-deps.sh)" >&2; exit 1; }; }
for t in debootstrap systemd-nspawn; do need "$t"; done

SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
# The Debian mirror this machine's apt uses (deb822 .sources or classic sources.list).
mirror() {
  local m
  m=$(awk -v s="$SUITE" '
      /^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i==s) ok=1}
      /^$/ {if (ok && u) {print u; exit} ok=0; u=""}
      END {if (ok && u) print u}' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  [ -n "$m" ] || m=$(awk -v s="$SUITE" '$1=="deb" && $3==s {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  echo "${m:-http://deb.debian.org/debian}"
}
MIRROR=${LAB_MIRROR:-$(mirror)}
INCLUDE=systemd,systemd-sysv,libstdc++6,procps
MASKED=(console-getty.service getty@tty1.service systemd-networkd-wait-online.service
  systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer
  fstrim.timer dpkg-db-backup.timer man-db.timer)
RECIPE=1
KEY=$(echo "$SUITE $MIRROR $INCLUDE ${MASKED[*]} $RECIPE" | sha256sum | cut -c1-16)
if [ "${1:-}" = --print-key ]; then echo "$KEY"; exit 0; fi
TREE=$CACHE/systemd-tree-$KEY

if [ ! -f "$TREE/.complete" ]; then
  mkdir -p "$CACHE"
  WORK=$(mktemp -d "$CACHE/systemd-tree-work.XXXXXX")
  # debootstrap mounts /proc (and may bind /dev) inside the tree: unmount before removing, or an
  # interrupted build would have rm walk into the host's /dev.
  cleanup() {
    awk -v w="$WORK/" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l
    rm -rf --one-file-system "$WORK"
  }
  trap cleanup EXIT
  R=$WORK/root
  start=$(date +%s)
  echo "systemd tree: debootstrap $SUITE from $MIRROR" >&2
  debootstrap --variant=minbase --include="$INCLUDE" \
    "$SUITE" "$R" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
    tail -20 "$WORK/debootstrap.log" >&2
    exit 1
  }
  # Boot only what the test needs: no getty on the console, no waiting for the network.
  for u in "${MASKED[@]}"; do
    ln -sf /dev/null "$R/etc/systemd/system/$u"
  done
  echo sentinel-lab >"$R/etc/hostname"
  : >"$R/etc/fstab"
  mkdir -p "$R/usr/lib/drbd-sentinel" "$R/etc/drbd-sentinel"
  rm -rf "$R/var/cache/apt/archives"/*.deb "$R/var/lib/apt/lists"/*
  touch "$R/.complete"
  rm -rf "$TREE"
  mv "$R" "$TREE"
  # Older trees (other keys) are dead weight.
  find "$CACHE" -maxdepth 1 -name 'systemd-tree-????????????????' ! -name "systemd-tree-$KEY" -exec rm -rf {} +
  echo "systemd tree: built in $(($(date +%s) - start)) s ($(du -sh "$TREE" | cut -f1))" >&2
fi
echo "$TREE"
