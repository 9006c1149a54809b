import { describe, expect, it } from 'vitest';
import { createDrbdCommands, type DrbdCommands, type DrbdOp } from '../../src/drbd/index.js';
import type { LabNode } from '../scenarios/target.js';
import { labRunner } from './lab-runner.js';
import { useLab } from './lab-fixture.js';

// The DRBD command layer (src/drbd) run against real DRBD 8.4 in the lab VMs: its argv, timeouts and
// failure classification meet the real module's refusals.
describe('lab: DRBD command layer against real DRBD 8.4', () => {
  const lab = useLab({ share: false });
  const commands = (node: LabNode): DrbdCommands =>
    createDrbdCommands({ drbdadm: 'drbdadm', run: labRunner(lab(), node) });
  const op = (o: DrbdOp['op']): DrbdOp => ({ op: o, resource: 'r0' }) as DrbdOp;
  const failureKind = async (node: LabNode, o: DrbdOp['op']): Promise<string> => {
    const r = await commands(node).run(op(o));
    return r.ok ? 'ok' : r.error.kind;
  };

  it('queries parse the live role, cstate and dstate', async () => {
    await lab().resetDrbd();
    const role = await commands('alpha').role('r0');
    expect(role.ok && role.value).toEqual({ role: 'Primary', peerRole: 'Secondary' });
    const cstate = await commands('bravo').cstate('r0');
    expect(cstate.ok && cstate.value).toEqual(['Connected']);
    const dstate = await commands('bravo').dstate('r0');
    expect(dstate.ok && dstate.value).toEqual([{ disk: 'UpToDate', peerDisk: 'UpToDate' }]);
  });

  it('classifies each refusal of a connected pair', async () => {
    await lab().resetDrbd();
    await lab().must('alpha', 'mount /dev/drbd1 /mnt/r0');
    expect(await failureKind('alpha', 'secondary')).toBe('held-open');
    expect(await failureKind('bravo', 'primary')).toBe('multiple-primaries');
    await lab().must('alpha', 'umount /mnt/r0');
    expect(await failureKind('alpha', 'secondary')).toBe('ok');
    expect(await failureKind('bravo', 'primary')).toBe('ok');
    expect(await failureKind('alpha', 'verify')).toBe('ok');
  });

  it('classifies refusals after a link cut: Outdated promote, outdate of a Primary', async () => {
    await lab().resetDrbd();
    await lab().cutLink();
    for (const n of ['alpha', 'bravo'] as const)
      await lab().waitFor(n, (p) => /cs:WFConnection/.test(p), 60_000);
    expect(await failureKind('bravo', 'outdate')).toBe('ok');
    expect(await failureKind('bravo', 'primary')).toBe('need-uptodate');
    // drbdadm outdate on a Primary: exit 17 and no message at all.
    expect(await failureKind('alpha', 'outdate')).toBe('need-uptodate');
    await lab().restoreLink();
    await lab().waitFor('bravo', (p) => /cs:Connected.*ds:UpToDate\/UpToDate/.test(p), 60_000);
    expect(await failureKind('bravo', 'primary')).toBe('multiple-primaries');
  });

  it('reports the blocking disconnect (DRBD still believes a dead peer is connected) as a timeout', async () => {
    await lab().resetDrbd();
    // Slow peer-loss detection (ping-int 15 s) so the cut stays unnoticed long enough.
    for (const n of ['alpha', 'bravo'] as const)
      await lab().must(n, 'drbdadm -c /etc/drbd-slow.conf disconnect r0');
    for (const n of ['alpha', 'bravo'] as const)
      await lab().must(n, 'drbdadm -c /etc/drbd-slow.conf connect r0');
    await lab().waitFor('alpha', (p) => /cs:Connected.*ds:UpToDate\/UpToDate/.test(p), 60_000);
    await lab().must(
      'alpha',
      'dd if=/dev/zero of=/dev/drbd1 bs=4k count=1 seek=4096 oflag=direct 2>/dev/null',
    );
    await lab().cutLink();
    const r = await commands('alpha').run(op('disconnect'));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('timeout');
      expect(r.error.retrySafe).toBe(true);
      expect(r.error.message).toContain('did not terminate within 5 seconds');
    }
    expect(await lab().procDrbd('alpha')).toMatch(/cs:Connected/);
    // The disconnect requested before completes once DRBD notices the peer is gone.
    await lab().waitFor('alpha', (p) => /cs:(StandAlone|WFConnection)/.test(p), 60_000);
    await lab().restoreLink();
  });
});
