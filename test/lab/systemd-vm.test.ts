import { describe, expect, it } from 'vitest';
import { LAB_NODES } from './lab.js';
import { useLab } from './lab-fixture.js';
import { ensureReplicationAddress } from './systemd-nic.js';

// The systemd lab guests (debootstrapped Debian, systemd as PID 1, copy-on-write overlays): they boot,
// systemd reaches a settled state, and real DRBD works in them like in the busybox guests. The
// systemd-unit tests of the daemon build on this image.
describe('lab: systemd VMs', () => {
  const lab = useLab({ image: 'systemd', share: true });

  it('boot systemd, load DRBD and replicate', async () => {
    for (const n of LAB_NODES) {
      // is-system-running --wait returns once boot has finished (running, or degraded if a unit failed).
      const r = await lab().sh(n, 'systemctl is-system-running --wait; cat /proc/1/comm', 120);
      expect(r.stdout, `${n}: ${r.stderr}`).toMatch(/^(running|degraded)\nsystemd\n$/);
      expect(await lab().must(n, 'systemctl is-active lab-setup.service lab-agent.service')).toBe(
        'active\nactive\n',
      );
      expect(await lab().must(n, 'hostname; node --version')).toMatch(new RegExp(`^${n}\\nv\\d+`));
      await ensureReplicationAddress(lab(), n);
    }
    await lab().resetDrbd();
    expect(await lab().procDrbd('alpha')).toMatch(/cs:Connected ro:Primary\/Secondary ds:UpToDate\/UpToDate/);
    await lab().must(
      'alpha',
      'mount /dev/drbd1 /mnt/r0 && echo hi >/mnt/r0/f && umount /mnt/r0 && drbdadm secondary r0',
    );
    await lab().must(
      'bravo',
      'drbdadm primary r0 && mount /dev/drbd1 /mnt/r0 && cat /mnt/r0/f && umount /mnt/r0',
    );
  });
});
