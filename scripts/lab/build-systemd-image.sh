#!/usr/bin/env bash
# Builds the lab's systemd guest (for the systemd-unit tests): a debootstrapped Debian (minbase +
# systemd, udev, drbd-utils, ...) as an ext4 image, the same stock kernel as the busybox lab, the
# DRBD modules and Node.js, plus a tiny boot initramfs that mounts the image and switches to systemd.
# Node.js is the host's own nodejs package (NodeSource 20 on the project's machines; Debian 12's is 18),
# rebuilt as a .deb with dpkg-repack and installed with dpkg like on a real node, so that the
# drbd-sentinel package's `Depends: nodejs (>= 20)` is checked against it (test/lab/deb-install.test.ts).
# Each VM boots it as a copy-on-write qcow2 overlay (qemu-img create -b), so the image stays pristine.
# Cached under .lab/cache/, keyed by its inputs. Output: .lab/cache/systemd.env
# (LAB_SYSTEMD_IMAGE=, LAB_SYSTEMD_INITRD=, LAB_KERNEL=).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CACHE=$ROOT/.lab/cache
need() { command -v "$1" >/dev/null || { echo "lab systemd build: missing '$1' (run: bash scripts/install-deps.sh)" >&2; exit 1; }; }
for t in debootstrap mke2fs qemu-img cpio zstd dpkg-repack; do need "$t"; done

bash scripts/lab/build-initramfs.sh >/dev/null # the kernel (unpacked) and current.env
# shellcheck disable=SC1091
. "$CACHE/current.env"
KDIR=$(dirname "$(dirname "$LAB_KERNEL")")
SUITE=$(. /etc/os-release && echo "$VERSION_CODENAME")

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
NODE_BIN=$(readlink -f "$(command -v node)")
NODE_VERSION=$(dpkg-query -W -f='${Version}' nodejs 2>/dev/null) || NODE_VERSION=
[ -n "$NODE_VERSION" ] && dpkg --compare-versions "$NODE_VERSION" ge 20 || {
  echo "lab systemd build: the host's nodejs package must be >= 20 (NodeSource's, see docs/testing.md); found '${NODE_VERSION:-none}'" >&2
  exit 1
}
NODE_DEB=$CACHE/nodejs_${NODE_VERSION}_amd64.deb
KEY=$(
  {
    echo "$SUITE $LAB_KVER $NODE_VERSION"
    sha256sum "$NODE_BIN" "$0" scripts/lab/guest/agent.sh scripts/lab/guest/drbd*.conf scripts/lab/guest/systemd/* |
      awk '{print $1}'
  } | sha256sum | cut -c1-16
)
IMAGE=$CACHE/systemd-$KEY.ext4
BOOT=$CACHE/systemd-boot-$KEY.cpio.zst
MODS=(drbd lru_cache libcrc32c crc32c_generic dm_mod ext4 virtio_blk virtio_net virtio_console virtio_pci 9p 9pnet_virtio)

copy_modules() { # $1: destination root; rest: module names (with dependencies)
  local dest=$1
  shift
  for m in "$@"; do modprobe -d "$KDIR" -S "$LAB_KVER" --show-depends "$m" | awk '/^insmod/{print $2}'; done |
    sort -u | while read -r ko; do
    rel=${ko#"$KDIR"}
    mkdir -p "$dest$(dirname "$rel")" && cp "$ko" "$dest$rel"
  done
  cp "$KDIR/lib/modules/$LAB_KVER"/modules.{order,builtin,builtin.modinfo} "$dest/lib/modules/$LAB_KVER/" 2>/dev/null || true
  depmod -b "$dest" "$LAB_KVER"
}

# The host's nodejs as a package file (dpkg-repack: its installed files and control data), cached.
if [ ! -f "$NODE_DEB" ]; then
  echo "lab systemd build: dpkg-repack nodejs $NODE_VERSION"
  NWORK=$(mktemp -d "$CACHE/nodejs-work.XXXXXX")
  # Files the package lists but the host lacks are reported and left out.
  (cd "$NWORK" && dpkg-repack --deb-option=-Zgzip --deb-option=-z1 nodejs >repack.log 2>&1) || {
    tail -20 "$NWORK/repack.log" >&2
    rm -rf "$NWORK"
    exit 1
  }
  mv "$NWORK"/nodejs_*.deb "$NODE_DEB.tmp" && mv "$NODE_DEB.tmp" "$NODE_DEB"
  rm -rf "$NWORK"
  find "$CACHE" -maxdepth 1 -name 'nodejs_*.deb' ! -name "$(basename "$NODE_DEB")" -delete
fi

if [ ! -f "$IMAGE" ] || [ ! -f "$BOOT" ]; then
  WORK=$(mktemp -d "$CACHE/systemd-work.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  R=$WORK/root
  echo "lab systemd build: debootstrap $SUITE from $MIRROR"
  debootstrap --variant=minbase \
    --include=systemd,systemd-sysv,udev,kmod,iproute2,drbd-utils,e2fsprogs,procps,psmisc,dmsetup,libstdc++6,python3,ca-certificates \
    "$SUITE" "$R" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
    tail -20 "$WORK/debootstrap.log" >&2
    exit 1
  }
  copy_modules "$R" "${MODS[@]}"
  # Node.js as the package (python3 and ca-certificates above are its other dependencies).
  cp "$NODE_DEB" "$R/tmp/nodejs.deb"
  chroot "$R" dpkg -i /tmp/nodejs.deb >"$WORK/nodejs.log" 2>&1 || {
    tail -20 "$WORK/nodejs.log" >&2
    exit 1
  }
  rm -f "$R/tmp/nodejs.deb"
  cp scripts/lab/guest/drbd.conf "$R/etc/drbd.conf"
  cp scripts/lab/guest/drbd-slow.conf "$R/etc/drbd-slow.conf"
  install -m 755 scripts/lab/guest/agent.sh "$R/usr/local/sbin/lab-agent"
  install -m 755 scripts/lab/guest/systemd/lab-setup "$R/usr/local/sbin/lab-setup"
  cp scripts/lab/guest/systemd/lab-setup.service scripts/lab/guest/systemd/lab-agent.service "$R/etc/systemd/system/"
  mkdir -p "$R/etc/systemd/system/multi-user.target.wants" "$R/mnt/r0" "$R/shared"
  ln -sf /etc/systemd/system/lab-setup.service "$R/etc/systemd/system/multi-user.target.wants/"
  ln -sf /etc/systemd/system/lab-agent.service "$R/etc/systemd/system/multi-user.target.wants/"
  # Root logs in on the serial console without a password (a throwaway test VM).
  sed -i 's/^root:[^:]*:/root::/' "$R/etc/shadow"
  echo lab >"$R/etc/hostname"
  : >"$R/etc/fstab"
  rm -rf "$R/var/cache/apt/archives"/*.deb "$R/var/lib/apt/lists"/*
  mke2fs -q -t ext4 -L labroot -d "$R" "$IMAGE.tmp" 1536M
  mv "$IMAGE.tmp" "$IMAGE"

  # Boot initramfs: load the block/ext4 modules, mount the image, switch_root to systemd.
  B=$WORK/boot
  mkdir -p "$B"/{bin,dev,proc,sys,newroot}
  cp /bin/busybox "$B/bin/busybox"
  for a in sh mount umount switch_root modprobe sleep mkdir cat; do ln -s busybox "$B/bin/$a"; done
  copy_modules "$B" virtio_pci virtio_blk ext4 crc32c_generic
  cat >"$B/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in virtio_pci virtio_blk crc32c_generic ext4; do modprobe "$m"; done
i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mount -t ext4 /dev/vda /newroot || { echo "lab boot: cannot mount /dev/vda"; sleep 5; exit 1; }
umount /proc /sys; mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init
INIT
  chmod 755 "$B/init"
  (cd "$B" && find . -print0 | cpio --null -o -H newc --quiet | zstd -q -3 >"$BOOT.tmp")
  mv "$BOOT.tmp" "$BOOT"
  find "$CACHE" -maxdepth 1 \( -name 'systemd-*.ext4' -o -name 'systemd-boot-*.cpio.zst' \) \
    ! -name "systemd-$KEY.ext4" ! -name "systemd-boot-$KEY.cpio.zst" -delete
fi
cat >"$CACHE/systemd.env" <<ENV
LAB_KERNEL=$LAB_KERNEL
LAB_SYSTEMD_IMAGE=$IMAGE
LAB_SYSTEMD_INITRD=$BOOT
ENV
echo "lab systemd build: ready ($(du -h --apparent-size "$IMAGE" | cut -f1) image, $(du -h "$IMAGE" | cut -f1) used)"
