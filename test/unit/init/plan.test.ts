import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { nextSteps, parseFstab, planInit, renderInitConfig, type InitPlan } from '../../../src/init/index.js';
import { GUIDE_FSTAB, NO_RESOURCES_DUMP, dumpOf } from './support.js';
import { parseDumpXml } from '../../../src/drbd/index.js';

const SECRET = '/etc/drbd-sentinel/secret';
const base = { fstab: parseFstab(GUIDE_FSTAB), hostname: 'alpha', secretFile: SECRET };

function planned(input: Parameters<typeof planInit>[0]): InitPlan {
  const p = planInit(input);
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
}

describe('planInit from real-format dump-xml', () => {
  it('takes the nodes, their replication addresses, the device and the fstab mount', () => {
    const plan = planned({ ...base, dump: dumpOf('dump-xml-84-r0-sentinel.txt') });
    expect(plan.nodes).toEqual([
      { name: 'alpha', addresses: ['10.77.0.1'] },
      { name: 'bravo', addresses: ['10.77.0.2'] },
    ]);
    expect(plan.localIndex).toBe(0);
    expect(plan.clusterName).toBe('alpha-bravo');
    // noauto and nofail steer the boot, not the daemon's mount -o.
    expect(plan.resources).toEqual([
      { name: 'r0', device: '/dev/drbd1', mount: { point: '/DRBD', fstype: 'ext3', options: ['noatime'] } },
    ]);
    expect(plan.fencingPolicy).toBe('resource-only');
    expect(plan.notes.join('\n')).toContain('second link');
    expect(
      planned({ ...base, hostname: 'bravo', dump: dumpOf('dump-xml-84-r0-sentinel.txt') }).localIndex,
    ).toBe(1);
  });

  it('writes a configuration the project itself loads, the same on both nodes', () => {
    const dump = dumpOf('dump-xml-84-r0-sentinel.txt');
    const text = renderInitConfig(planned({ ...base, dump }));
    expect(renderInitConfig(planned({ ...base, hostname: 'bravo', dump }))).toBe(text);
    const loaded = parseConfigText(text, 'config.yaml', { secretFileCheck: false });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    const c = loaded.value.config;
    expect(c.nodes.map((n) => n.name)).toEqual(['alpha', 'bravo']);
    expect(c.resources[0]).toMatchObject({ name: 'r0', device: '/dev/drbd1' });
    expect(c.resources[0]?.mount).toEqual({ point: '/DRBD', fstype: 'ext3', options: ['noatime'] });
    expect(c.fencing.policy).toBe('resource-only');
    expect(c.cluster.secretFile).toBe(SECRET);
  });

  it('with a fence command: policy stonith, the handler, and a snippet with resource-and-stonith', () => {
    const plan = planned({
      ...base,
      dump: dumpOf('dump-xml-84-r0-sentinel-stonith.txt'),
      fenceCommands: [['/usr/sbin/fence_ipmilan', '--ip=10.0.0.9', '--action=off']],
      extraAddresses: { alpha: ['192.168.1.1'], bravo: ['192.168.1.2'] },
    });
    expect(plan.fencingPolicy).toBe('stonith');
    expect(plan.fenceHandlers).toEqual([
      { name: 'fence_ipmilan', command: ['/usr/sbin/fence_ipmilan', '--ip=10.0.0.9', '--action=off'] },
    ]);
    expect(plan.nodes[1].addresses).toEqual(['10.77.0.2', '192.168.1.2']);
    expect(plan.notes.join('\n')).not.toContain('second link');
    const loaded = parseConfigText(renderInitConfig(plan), 'c.yaml', { secretFileCheck: false });
    expect(loaded.ok && loaded.value.config.fencing.handlers[0]?.name).toBe('fence_ipmilan');
    const steps = nextSteps(plan, 8, true);
    expect(steps).toContain('disk {\n    fencing resource-and-stonith;');
    expect(steps).toContain('fence-peer "/usr/sbin/drbd-sentinel fence-peer";');
    expect(steps).toContain('after-resync-target "/usr/sbin/drbd-sentinel unfence-peer";');
    expect(steps).toContain(`scp -p ${SECRET} root@10.77.0.2:${SECRET}`);
    // DRBD 9 syntax when the module is 9.
    expect(nextSteps(plan, 9, false)).toContain('net {\n    fencing resource-and-stonith;');
    // resource-only: the snippet asks for resource-only.
    const ro = planned({ ...base, dump: dumpOf('dump-xml-84-r0-sentinel.txt') });
    expect(nextSteps(ro, 8, true)).toContain('fencing resource-only;');
  });

  it('two resources on node1/node2 without fstab entries: raw devices, said in the notes', () => {
    const plan = planned({
      ...base,
      fstab: [],
      hostname: 'node2',
      dump: dumpOf('dump-xml-84-default-no-fencing.txt'),
    });
    expect(plan.resources).toEqual([
      { name: 'r0', device: '/dev/drbd0', mount: null },
      { name: 'web', device: '/dev/drbd2', mount: null },
    ]);
    expect(plan.notes.filter((n) => n.includes('raw device'))).toHaveLength(2);
    expect(parseConfigText(renderInitConfig(plan), 'c.yaml', { secretFileCheck: false }).ok).toBe(true);
  });

  it('warns when fstab would mount the device at boot, and finds by-res names', () => {
    const fstab = parseFstab('/dev/drbd/by-res/r0/0 /srv/my\\040data xfs defaults,nodev 0 0\n');
    const plan = planned({ ...base, fstab, dump: dumpOf('dump-xml-84-r0-sentinel.txt') });
    expect(plan.resources[0]?.mount).toEqual({ point: '/srv/my data', fstype: 'xfs', options: ['nodev'] });
    expect(plan.notes.join('\n')).toContain(
      '/etc/fstab line 1 mounts /dev/drbd/by-res/r0/0 on /srv/my data at boot: add noauto',
    );
  });
});

describe('planInit refuses what it cannot know', () => {
  const fails = (input: Parameters<typeof planInit>[0]) => {
    const p = planInit(input);
    if (p.ok) throw new Error('expected a problem');
    return p.error;
  };

  it('a host that is not in the DRBD config: names the host and DRBD hosts', () => {
    const e = fails({ ...base, hostname: 'charlie', dump: dumpOf('dump-xml-84-r0-sentinel.txt') });
    expect(e.code).toBe('host-not-in-drbd');
    expect(e.message).toContain("this host (charlie, from `uname -n`) is not in DRBD's configuration");
    expect(e.message).toContain('alpha and bravo');
  });

  it('no DRBD resource at all (drbdadm with only global_common.conf)', () => {
    const dump = parseDumpXml(NO_RESOURCES_DUMP);
    if (!dump.ok) throw new Error('parse');
    const e = fails({ ...base, dump: dump.value });
    expect(e.code).toBe('no-drbd-resources');
    expect(e.message).toContain('(/etc/drbd.conf) defines no resource');
  });

  it('floating host sections name no node', () => {
    expect(fails({ ...base, dump: dumpOf('dump-xml-84-floating-two-volumes.txt') }).code).toBe(
      'floating-hosts',
    );
  });

  it('stonith without a fence command, a relative fence program, an unknown --address node', () => {
    const dump = dumpOf('dump-xml-84-r0-sentinel.txt');
    expect(fails({ ...base, dump, fencingPolicy: 'stonith' }).message).toContain('needs a fence command');
    expect(fails({ ...base, dump, fenceCommands: [['fence_ipmilan']] }).message).toContain('absolute path');
    expect(fails({ ...base, dump, extraAddresses: { zulu: ['10.0.0.1'] } }).message).toContain(
      'zulu is not a DRBD host',
    );
    expect(fails({ ...base, dump, extraAddresses: { alpha: ['10.0.0.1'] } }).message).toContain(
      'have 2 and 1 heartbeat addresses',
    );
  });
});
