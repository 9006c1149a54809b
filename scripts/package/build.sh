#!/usr/bin/env bash
# npm run package: builds drbd-sentinel_<version>-<rev>_all.deb and drbd-sentinel-<version>-<rev>.noarch.rpm
# into OUTDIR (default dist/package) from this repository: the CLI bundled into one file (esbuild),
# a /usr/sbin wrapper, the unit, the example configuration as a conffile, docs, man page, bash
# completion, Prometheus rules and the Grafana dashboard. Needs node_modules (npm ci), dpkg-deb and
# rpmbuild (Debian's rpm package); see docs/packaging.md.
#
# Usage: scripts/package/build.sh [OUTDIR]
#   DEB_REVISION   package revision (default 1)
#   DEB_MAINTAINER Maintainer field (default "drbd-sentinel maintainers <drbd-sentinel@example.org>")
#   SOURCE_DATE_EPOCH  timestamps in the packages (default: the last commit's time)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$REPO/scripts/package
OUT=$(mkdir -p "${1:-$REPO/dist/package}" && cd "${1:-$REPO/dist/package}" && pwd)
TSX=$REPO/node_modules/.bin/tsx
die() { echo "package: $*" >&2; exit 1; }
[[ -x $TSX ]] || die "node_modules is missing: run \`npm ci\` first"
for tool in dpkg-deb rpmbuild gzip; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install dpkg rpm gzip; scripts/install-deps.sh)"
done

VERSION=$(node -p "require('$REPO/package.json').version")
REVISION=${DEB_REVISION:-1}
MAINTAINER=${DEB_MAINTAINER:-drbd-sentinel maintainers <drbd-sentinel@example.org>}
if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
  SOURCE_DATE_EPOCH=$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
umask 022

WORK=$OUT/work
rm -rf "$WORK" "$OUT"/*.deb "$OUT"/*.rpm
mkdir -p "$WORK"

# 1. The installed tree, common to both packages; the program first, bundled in place (it finds
#    ../../package.json from there), then the files generated from it.
S=$WORK/stage
LIB=$S/usr/lib/drbd-sentinel
DOC=$S/usr/share/doc/drbd-sentinel
install -d "$LIB/dist/bundle" "$LIB/config" "$S/usr/sbin" "$S/usr/bin" "$S/usr/lib/systemd/system" \
  "$S/etc/drbd-sentinel" "$DOC" "$S/usr/share/man/man8" "$S/usr/share/bash-completion/completions" \
  "$S/usr/share/drbd-sentinel/prometheus" "$S/usr/share/drbd-sentinel/grafana"
# packageVersion() reads ../../package.json from the bundle; only the version is needed.
printf '{\n  "name": "drbd-sentinel",\n  "version": "%s",\n  "private": true,\n  "type": "module"\n}\n' \
  "$VERSION" >"$LIB/package.json"
chmod 0644 "$LIB/package.json"
"$TSX" "$HERE/bundle.ts" "$LIB/dist/bundle" >/dev/null
mv "$LIB/dist/bundle/meta.json" "$WORK/meta.json"
chmod 0755 "$LIB/dist/bundle/drbd-sentinel.mjs" # it starts with #!/usr/bin/env node
"$TSX" "$HERE/cli-docs.ts" "$LIB/dist/bundle/drbd-sentinel.mjs" "$WORK/cli-docs" >/dev/null
"$TSX" "$HERE/copyright.ts" "$WORK/meta.json" "$WORK/copyright" >/dev/null
# The example beside the program: `init` replaces a config.yaml that is still this file.
install -m 0644 "$REPO/config/drbd-sentinel.yaml" "$LIB/config/drbd-sentinel.yaml"
install -m 0644 "$REPO/config/drbd-sentinel.yaml" "$S/etc/drbd-sentinel/config.yaml"
install -m 0755 "$HERE/drbd-sentinel.sh" "$S/usr/sbin/drbd-sentinel"
# Also on a non-root PATH (Debian's lacks /usr/sbin): --version, check-config, inspect work as any user.
ln -s ../sbin/drbd-sentinel "$S/usr/bin/drbd-sentinel"
install -m 0644 "$REPO/systemd/drbd-sentinel.service" "$S/usr/lib/systemd/system/drbd-sentinel.service"
install -m 0644 "$REPO"/README.md "$REPO"/docs/*.md "$DOC/"
install -m 0644 "$WORK/copyright" "$DOC/copyright"
gzip -9n <"$WORK/cli-docs/drbd-sentinel.8" >"$S/usr/share/man/man8/drbd-sentinel.8.gz"
install -m 0644 "$WORK/cli-docs/drbd-sentinel.bash-completion" \
  "$S/usr/share/bash-completion/completions/drbd-sentinel"
install -m 0644 "$REPO"/config/prometheus/drbd-sentinel-rules.yml "$S/usr/share/drbd-sentinel/prometheus/"
install -m 0644 "$REPO"/config/grafana/*.json "$S/usr/share/drbd-sentinel/grafana/"
chmod 0644 "$S/usr/share/man/man8/drbd-sentinel.8.gz"

# 2. The .deb.
D=$WORK/deb
cp -a "$S" "$D"
date_rfc2822=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
printf 'drbd-sentinel (%s-%s) unstable; urgency=medium\n\n  * Built from the drbd-sentinel repository (version %s).\n\n -- %s  %s\n' \
  "$VERSION" "$REVISION" "$VERSION" "$MAINTAINER" "$date_rfc2822" | gzip -9n >"$D/usr/share/doc/drbd-sentinel/changelog.Debian.gz"
chmod 0644 "$D/usr/share/doc/drbd-sentinel/changelog.Debian.gz"
install -d "$D/DEBIAN"
for s in postinst prerm postrm; do install -m 0755 "$HERE/debian/$s" "$D/DEBIAN/$s"; done
echo /etc/drbd-sentinel/config.yaml >"$D/DEBIAN/conffiles"
# md5sums of every file but the conffiles (as dh_md5sums does: dpkg tracks those itself).
(cd "$D" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum) >"$D/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$D" | cut -f1)
sed -e "s/@VERSION@/$VERSION-$REVISION/" -e "s/@MAINTAINER@/$MAINTAINER/" -e "s/@INSTALLED_SIZE@/$size/" \
  "$HERE/debian/control.in" >"$D/DEBIAN/control"
chmod 0644 "$D/DEBIAN/control" "$D/DEBIAN/conffiles" "$D/DEBIAN/md5sums"
find "$D" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
DEB=$OUT/drbd-sentinel_${VERSION}-${REVISION}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$D" "$DEB" >/dev/null

# 3. The .rpm, from the same tree plus the copyright as its license file.
R=$WORK/rpm
mkdir -p "$R"/{BUILD,RPMS,SOURCES,SPECS,SRPMS,tmp}
rpmbuild -bb --quiet --nodeps \
  --define "_topdir $R" --define "_tmppath $R/tmp" --define "stage $S" \
  --define "pkg_version $VERSION" --define "pkg_release $REVISION" \
  --define "use_source_date_epoch_as_buildtime 1" --define "_buildhost drbd-sentinel-build" \
  "$HERE/drbd-sentinel.spec" >/dev/null
RPM=$OUT/drbd-sentinel-${VERSION}-${REVISION}.noarch.rpm
mv "$R"/RPMS/noarch/drbd-sentinel-"$VERSION"-"$REVISION".noarch.rpm "$RPM"

for f in "$DEB" "$RPM"; do echo "package: $f ($(du -k "$f" | cut -f1) KiB)"; done
