import { readFixture } from '../drbd/fixtures.js';
import { parseDumpXml, type DrbdConfigDump } from '../../../src/drbd/index.js';

/** A dump-xml fixture of test/fixtures/drbd/dump-xml without its `# ` header lines. */
export function dumpXmlText(name: string): string {
  return readFixture('dump-xml', name)
    .split('\n')
    .filter((l) => !l.startsWith('# '))
    .join('\n');
}

export function dumpOf(name: string): DrbdConfigDump {
  const p = parseDumpXml(dumpXmlText(name));
  if (!p.ok) throw new Error(`${name} does not parse`);
  return p.value;
}

/**
 * `drbdadm dump-xml` of drbd-utils 9.22 on a Debian 12 node with only the stock
 * /etc/drbd.d/global_common.conf (no resource yet): exit 0 and an empty <config>.
 */
export const NO_RESOURCES_DUMP = '<config file="/etc/drbd.conf">\n    <common>\n    </common>\n</config>\n';

/** The classic guide's fstab: the DRBD device is mounted by hand, never at boot. */
export const GUIDE_FSTAB = [
  '# /etc/fstab: static file system information.',
  'UUID=1b2c3d4e-0000-4000-8000-000000000001 /               ext4    errors=remount-ro 0       1',
  '/dev/drbd1      /DRBD           ext3    noatime,noauto,nofail  0       0',
  '',
].join('\n');
