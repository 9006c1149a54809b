#!/usr/bin/env bash
# Builds the lab's guest: Debian's stock kernel (unpacked, never installed on the host) and a busybox
# initramfs with the DRBD 8.4 modules, drbd-utils, e2fsprogs, dmsetup and Node.js.
# Everything lands under .lab/cache/, keyed by its inputs (package versions, node binary, this script,
# the guest init), so it is rebuilt only when one of them changes.
# Output: .lab/cache/current.env with LAB_KERNEL=, LAB_INITRD=, LAB_KVER= (read by test/lab/).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CACHE=$ROOT/.lab/cache
mkdir -p "$CACHE/dl"

need() { command -v "$1" >/dev/null || { echo "lab build: missing '$1' (run: bash scripts/install-deps.sh)" >&2; exit 1; }; }
for t in apt-get apt-cache dpkg-deb depmod cpio zstd ldd busybox node; do need "$t"; done
[ -x /lib/drbd/drbdsetup-84 ] || { echo "lab build: missing drbd-utils (/lib/drbd/drbdsetup-84)" >&2; exit 1; }
[ -x /sbin/dmsetup ] || { echo "lab build: missing dmsetup" >&2; exit 1; }

# The kernel package behind linux-image-amd64, e.g. linux-image-6.1.0-56-amd64.
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$KPKG" ] || { echo "lab build: apt-cache knows no linux-image-amd64 (apt-get update?)" >&2; exit 1; }
KVER_PKG=$(apt-cache policy "$KPKG" | awk '/Candidate:/{print $2}')
KDIR=$CACHE/kernel-$KPKG-$KVER_PKG
if [ ! -f "$KDIR/.done" ]; then
  echo "lab build: fetching $KPKG $KVER_PKG"
  rm -rf "$KDIR" && mkdir -p "$KDIR"
  (cd "$CACHE/dl" && rm -f "${KPKG}"_*.deb && apt-get download -q -o APT::Sandbox::User=root "$KPKG=$KVER_PKG" >/dev/null)
  dpkg-deb -x "$CACHE/dl/${KPKG}_"*.deb "$KDIR"
  rm -f "$CACHE/dl/${KPKG}_"*.deb
  touch "$KDIR/.done"
fi
KVER=$(ls "$KDIR/lib/modules" | head -1)
KERNEL=$KDIR/boot/vmlinuz-$KVER
[ -f "$KERNEL" ] || { echo "lab build: no kernel image in $KDIR" >&2; exit 1; }

NODE_BIN=$(readlink -f "$(command -v node)")
pkgver() { dpkg-query -W -f='${Version}' "$1"; }
KEY=$(
  {
    echo "$KPKG $KVER_PKG"
    for p in drbd-utils busybox-static e2fsprogs dmsetup libc6 kmod; do echo "$p $(pkgver "$p")"; done
    sha256sum "$NODE_BIN" "$0" scripts/lab/guest/init scripts/lab/guest/agent.sh scripts/lab/guest/*.conf | awk '{print $1}'
  } | sha256sum | cut -c1-16
)
INITRD=$CACHE/initramfs-$KEY.cpio.zst
if [ ! -f "$INITRD" ]; then
  echo "lab build: initramfs $KEY"
  STAGE=$(mktemp -d "$CACHE/stage.XXXXXX")
  trap 'rm -rf "$STAGE"' EXIT
  mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,run,tmp,mnt/r0,shared,var/lib/drbd,var/run,lib/drbd,root}
  cp /bin/busybox "$STAGE/bin/busybox"
  for a in $("$STAGE/bin/busybox" --list); do
    [ -e "$STAGE/bin/$a" ] || ln -s busybox "$STAGE/bin/$a"
  done
  # Real binaries (and everything they link): drbd-utils, e2fsprogs, dmsetup, node.
  BINS=(/sbin/drbdadm /sbin/drbdsetup /sbin/drbdmeta /lib/drbd/drbdadm-84 /lib/drbd/drbdsetup-84
    /sbin/mke2fs /sbin/e2fsck /sbin/dmsetup "$NODE_BIN")
  for b in "${BINS[@]}"; do
    dest=$STAGE$b
    [ "$b" = "$NODE_BIN" ] && dest=$STAGE/usr/bin/node
    mkdir -p "$(dirname "$dest")" && cp -L "$b" "$dest"
    ldd "$b" | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | while read -r lib; do
      mkdir -p "$STAGE$(dirname "$lib")" && cp -Ln "$lib" "$STAGE$lib"
    done
  done
  ln -sf mke2fs "$STAGE/sbin/mkfs.ext4"
  ln -sf e2fsck "$STAGE/sbin/fsck.ext4"
  cp /etc/mke2fs.conf "$STAGE/etc/"
  # Kernel modules: the ones the guest loads, with their dependencies (resolved by the host's kmod).
  MODS=(drbd lru_cache libcrc32c crc32c_generic dm_mod ext4 virtio_blk virtio_net virtio_console
    virtio_pci 9p 9pnet_virtio)
  depmod -b "$KDIR" "$KVER"
  for m in "${MODS[@]}"; do
    modprobe -d "$KDIR" -S "$KVER" --show-depends "$m" | awk '/^insmod/{print $2}'
  done | sort -u | while read -r ko; do
    rel=${ko#"$KDIR"}
    mkdir -p "$STAGE$(dirname "$rel")" && cp "$ko" "$STAGE$rel"
  done
  cp "$KDIR/lib/modules/$KVER"/modules.{order,builtin,builtin.modinfo} "$STAGE/lib/modules/$KVER/" 2>/dev/null || true
  depmod -b "$STAGE" "$KVER"
  cp scripts/lab/guest/init "$STAGE/init" && chmod 755 "$STAGE/init"
  cp scripts/lab/guest/agent.sh "$STAGE/lab-agent.sh"
  cp scripts/lab/guest/drbd.conf "$STAGE/etc/drbd.conf"
  cp scripts/lab/guest/drbd-slow.conf "$STAGE/etc/drbd-slow.conf"
  cp scripts/lab/guest/drbd-fencing.conf "$STAGE/etc/drbd-fencing.conf"
  cp scripts/lab/guest/drbd-stonith.conf "$STAGE/etc/drbd-stonith.conf"
  echo "root:x:0:0:root:/root:/bin/sh" >"$STAGE/etc/passwd"
  echo "root:x:0:" >"$STAGE/etc/group"
  (cd "$STAGE" && find . -print0 | cpio --null -o -H newc --quiet | zstd -q -3 -T0 >"$INITRD.tmp")
  mv "$INITRD.tmp" "$INITRD"
  find "$CACHE" -maxdepth 1 -name "initramfs-*.cpio.zst" ! -name "initramfs-$KEY.cpio.zst" -delete
fi
cat >"$CACHE/current.env" <<ENV
LAB_KERNEL=$KERNEL
LAB_INITRD=$INITRD
LAB_KVER=$KVER
ENV
echo "lab build: ready ($KVER, $(du -h "$INITRD" | cut -f1) initramfs)"
