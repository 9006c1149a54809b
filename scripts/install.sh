#!/usr/bin/env bash
# Installs drbd-sentinel on a node from a built checkout (npm ci && npm run build):
#   PREFIX/lib/drbd-sentinel/        the program: dist/, production node_modules/, package.json
#   PREFIX/sbin/drbd-sentinel         wrapper that runs it with this node's `node`
#   UNITDIR/drbd-sentinel.service     the systemd unit (not enabled, not started)
#   SYSCONFDIR/drbd-sentinel/config.yaml   the example configuration, ONLY if there is none yet
#   PREFIX/share/doc/drbd-sentinel/   documentation
# Idempotent: run it again to upgrade; an existing configuration is never touched. It never creates
# the shared secret (both nodes need the same one): it prints how to.
#
# Usage: scripts/install.sh [--prefix DIR] [--sysconfdir DIR] [--unitdir DIR] [--destdir DIR]
#                           [--node PATH] [--no-reload]
#   --prefix      default /usr
#   --sysconfdir  default /etc
#   --unitdir     default /usr/lib/systemd/system for prefix /usr, else /etc/systemd/system
#   --destdir     staging root prepended to every path (packaging, tests); also $DESTDIR
#   --node        node binary the wrapper runs (default: `command -v node`, must be >= 20)
#   --no-reload   do not run `systemctl daemon-reload`
set -euo pipefail

PREFIX=/usr
SYSCONFDIR=/etc
UNITDIR=
DESTDIR=${DESTDIR:-}
NODE_BIN=
RELOAD=1

die() { echo "install.sh: $*" >&2; exit 1; }
while (($#)); do
  case $1 in
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --sysconfdir) SYSCONFDIR=${2:?--sysconfdir needs a directory}; shift 2 ;;
    --sysconfdir=*) SYSCONFDIR=${1#*=}; shift ;;
    --unitdir) UNITDIR=${2:?--unitdir needs a directory}; shift 2 ;;
    --unitdir=*) UNITDIR=${1#*=}; shift ;;
    --destdir) DESTDIR=${2:?--destdir needs a directory}; shift 2 ;;
    --destdir=*) DESTDIR=${1#*=}; shift ;;
    --node) NODE_BIN=${2:?--node needs a path}; shift 2 ;;
    --node=*) NODE_BIN=${1#*=}; shift ;;
    --no-reload) RELOAD=0; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done

for d in "$PREFIX" "$SYSCONFDIR"; do [[ $d == /* ]] || die "paths must be absolute: $d"; done
if [[ -z $UNITDIR ]]; then
  if [[ $PREFIX == /usr ]]; then UNITDIR=/usr/lib/systemd/system; else UNITDIR=/etc/systemd/system; fi
fi
[[ $UNITDIR == /* ]] || die "paths must be absolute: $UNITDIR"
[[ -z $DESTDIR || $DESTDIR == /* ]] || die "--destdir must be absolute: $DESTDIR"

SRC=$(cd "$(dirname "$0")/.." && pwd)
[[ -f $SRC/dist/cli.js ]] || die "$SRC/dist/cli.js is missing: run \`npm ci && npm run build\` first"
[[ -d $SRC/node_modules ]] || die "$SRC/node_modules is missing: run \`npm ci\` first"

NODE_BIN=${NODE_BIN:-$(command -v node || true)}
[[ -n $NODE_BIN && -x $NODE_BIN ]] || die "node not found: install Node.js >= 20 or pass --node PATH"
NODE_BIN=$(readlink -f "$NODE_BIN")
"$NODE_BIN" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  die "$NODE_BIN is Node.js $("$NODE_BIN" --version); drbd-sentinel needs >= 20"

LIBDIR=$PREFIX/lib/drbd-sentinel
SBINDIR=$PREFIX/sbin
DOCDIR=$PREFIX/share/doc/drbd-sentinel
CONFDIR=$SYSCONFDIR/drbd-sentinel
umask 022

# Rewrites the default paths in the unit and the example configuration to the chosen ones.
localize() {
  sed -e "s#/usr/sbin/drbd-sentinel#$SBINDIR/drbd-sentinel#g" \
    -e "s#/usr/share/doc/drbd-sentinel#$DOCDIR#g" \
    -e "s#/etc/drbd-sentinel/#$CONFDIR/#g" "$1"
}

# 1. The program, staged next to its final place and swapped in, so a failed copy leaves the
#    installed version intact.
target=$DESTDIR$LIBDIR
stage=$target.new.$$
trap 'rm -rf "$stage" "$target.old.$$"' EXIT
mkdir -p "$stage"
cp -R "$SRC/dist" "$stage/dist"
cp "$SRC/package.json" "$stage/package.json"
mkdir -p "$stage/config"
localize "$SRC/config/drbd-sentinel.yaml" >"$stage/config/drbd-sentinel.yaml"
# Production dependencies only, as npm resolves them (offline: read from the local install).
mapfile -t deps < <(cd "$SRC" && npm ls --omit=dev --all --parseable 2>/dev/null | sed -n "s#^$SRC/##p" | sort -u)
((${#deps[@]})) || die "could not list the production dependencies (npm ls --omit=dev)"
for dep in "${deps[@]}"; do
  [[ -d $SRC/$dep ]] || die "dependency $dep is not installed: run \`npm ci\`"
  mkdir -p "$stage/$(dirname "$dep")"
  [[ -e $stage/$dep ]] || cp -R "$SRC/$dep" "$stage/$dep"
done
mkdir -p "$(dirname "$target")"
if [[ -e $target ]]; then mv "$target" "$target.old.$$"; fi
mv "$stage" "$target"
rm -rf "$target.old.$$"

# 2. The command.
mkdir -p "$DESTDIR$SBINDIR"
cat >"$DESTDIR$SBINDIR/drbd-sentinel.new.$$" <<WRAPPER
#!/bin/sh
# drbd-sentinel, installed by scripts/install.sh: runs the program with the node found at install time.
exec $NODE_BIN --enable-source-maps $LIBDIR/dist/cli.js "\$@"
WRAPPER
chmod 0755 "$DESTDIR$SBINDIR/drbd-sentinel.new.$$"
mv "$DESTDIR$SBINDIR/drbd-sentinel.new.$$" "$DESTDIR$SBINDIR/drbd-sentinel"

# 3. The unit and the documentation.
mkdir -p "$DESTDIR$UNITDIR" "$DESTDIR$DOCDIR"
localize "$SRC/systemd/drbd-sentinel.service" >"$DESTDIR$UNITDIR/drbd-sentinel.service"
chmod 0644 "$DESTDIR$UNITDIR/drbd-sentinel.service"
for doc in "$SRC"/README.md "$SRC"/docs/*.md; do
  if [[ -f $doc ]]; then cp "$doc" "$DESTDIR$DOCDIR/"; fi
done

# 4. The configuration: never overwrite the operator's file.
mkdir -p "$DESTDIR$CONFDIR"
if [[ -e $DESTDIR$CONFDIR/config.yaml ]]; then
  echo "kept the existing $CONFDIR/config.yaml (the example is $LIBDIR/config/drbd-sentinel.yaml)"
else
  install -m 0644 "$target/config/drbd-sentinel.yaml" "$DESTDIR$CONFDIR/config.yaml"
  echo "installed the example configuration as $CONFDIR/config.yaml: edit it for this pair"
fi

# 5. The secret is the operator's: the same content must reach both nodes.
secret=$DESTDIR$CONFDIR/secret
if [[ ! -e $secret ]]; then
  cat <<MSG

No shared secret yet. Create it on ONE node and copy it to the other, so both hold the same key:
  umask 077; head -c 32 /dev/urandom | base64 > $CONFDIR/secret
  scp -p $CONFDIR/secret OTHER-NODE:$CONFDIR/secret      # keep mode 0600, owner root
MSG
elif [[ -n $(find "$secret" -perm /0066 2>/dev/null) ]]; then
  echo "warning: $CONFDIR/secret is readable or writable by group or others: chmod 600 $CONFDIR/secret" >&2
fi

if ((RELOAD)) && [[ -z $DESTDIR && -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
  systemctl daemon-reload
fi

cat <<MSG

drbd-sentinel installed: $SBINDIR/drbd-sentinel ($("$DESTDIR$SBINDIR/drbd-sentinel" --version 2>/dev/null || echo "not runnable from DESTDIR"))
Next, on both nodes: edit $CONFDIR/config.yaml, then
  $SBINDIR/drbd-sentinel check-config -c $CONFDIR/config.yaml
  systemctl enable --now drbd-sentinel
MSG
