import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabNode } from '../scenarios/target.js';
import { DaemonPair, MOUNT_POINT } from './daemon-pair.js';
import { LAB_NODES } from './lab.js';
import { useLab } from './lab-fixture.js';
import { ensureReplicationAddress } from './systemd-nic.js';

// The project's systemd unit (systemd/drbd-sentinel.service, Type=notify) starting the daemon in the
// systemd VMs on real DRBD: `systemctl start` returns once the daemon sent READY=1, the unit is
// active/running with the daemon's STATUS= line, and the daemon does its work (alpha's resource
// mounted, both peers heard).

const lab = useLab({ needsBuild: true, image: 'systemd' });
let pair: DaemonPair;

beforeAll(() => {
  pair = new DaemonPair(lab());
});
afterAll(async () => {
  await Promise.all(
    LAB_NODES.map((n) =>
      lab()
        .sh(n, 'systemctl stop drbd-sentinel', 120)
        .catch(() => undefined),
    ),
  );
  await pair?.close();
});

const unitProps = (node: LabNode) =>
  lab().show(node, 'drbd-sentinel', [
    'Type',
    'ActiveState',
    'SubState',
    'NRestarts',
    'StatusText',
    'MainPID',
  ]);

describe('the systemd unit on real DRBD', () => {
  it('starts the daemon with Type=notify: systemctl start returns after READY=1, active/running', async () => {
    for (const n of LAB_NODES) {
      // Boot finished (lab-setup has put the address on the link), whatever the final state.
      await lab().sh(n, 'systemctl is-system-running --wait', 120);
      await ensureReplicationAddress(lab(), n);
      await pair.install(n, 'stonith');
      // The unit's ExecStart is /usr/sbin/drbd-sentinel (what scripts/install.sh installs).
      await lab().must(
        n,
        [
          'set -e',
          'printf \'#!/bin/sh\\nexec /usr/bin/node /shared/dist/cli.js "$@"\\n\' >/usr/sbin/drbd-sentinel',
          'chmod 755 /usr/sbin/drbd-sentinel',
          'cp /shared/systemd/drbd-sentinel.service /etc/systemd/system/',
          'systemctl daemon-reload',
        ].join('\n'),
      );
    }
    await lab().resetDrbd();
    pair.startFenceResponder();
    const started = await Promise.all(
      LAB_NODES.map((n) => lab().sh(n, 'systemctl start drbd-sentinel', 150)),
    );
    for (const [i, r] of started.entries())
      expect(r.exitCode, `${LAB_NODES[i]}: systemctl start: ${r.stdout}${r.stderr}`).toBe(0);
    for (const n of LAB_NODES) {
      const p = await unitProps(n);
      expect(p, n).toMatchObject({
        Type: 'notify',
        ActiveState: 'active',
        SubState: 'running',
        NRestarts: '0',
      });
      expect(p.StatusText, `${n}: STATUS= from the daemon`).not.toBe('');
      // READY=1 came from the daemon: its journal has the "ready" line before start returned.
      expect(
        await lab().must(n, 'journalctl -u drbd-sentinel -o cat --no-pager | grep -c \'"msg":"ready"\''),
      ).toMatch(/^[1-9]/);
    }
    await pair.waitGuest(
      'alpha',
      'r0 mounted by the daemon',
      `grep -q ' ${MOUNT_POINT} ' /proc/mounts`,
      90_000,
    );
    expect(pair.fenceRequests).toEqual([]);
  }, 600_000);
});
