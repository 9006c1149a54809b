#!/usr/bin/env bash
# Installs the Debian packages the test suite and the lab need. Idempotent: installs only what is missing.
set -euo pipefail

PACKAGES=(
  iproute2 iptables procps psmisc util-linux kmod e2fsprogs
  # the simulator's fast stand-in client (scripts/sim/sim-client.c, built by npm run build)
  gcc libc6-dev
  # the chaos tier's wall-clock jumps (LD_PRELOAD libfaketime)
  libfaketime
  # the real-DRBD lab (scripts/lab/): QEMU (TCG), the initramfs contents, the systemd image
  qemu-system-x86 qemu-utils drbd-utils busybox-static dmsetup cpio zstd xz-utils
  debootstrap systemd-container ca-certificates
  # the systemd image gets the host's nodejs (NodeSource 20) as a package: scripts/lab/build-systemd-image.sh
  dpkg-repack
  # packaging (scripts/package/): lintian checks the .deb, rpm provides rpmbuild, prometheus provides
  # promtool for the alert rules' tests
  lintian rpm prometheus
  # the arbiter's tests start a real etcd (one member and three) in their own namespaces
  etcd-server etcd-client
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Only promtool is wanted: a Prometheus server the package started would listen on :9090 for nothing.
  if [[ " ${missing[*]} " == *" prometheus "* && -d /run/systemd/system ]]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
  # Likewise etcd: the tests start their own members; a packaged one would hold :2379 for nothing.
  if [[ " ${missing[*]} " == *" etcd-server "* && -d /run/systemd/system ]]; then
    systemctl disable --now etcd.service >/dev/null 2>&1 || true
  fi
else
  echo "all Debian packages present"
fi
