/**
 * The host around one simulated DRBD node: the mount table (the sim's open count), systemd units,
 * floating addresses and the processes that hold the mount point open. Its SystemPort is what the
 * executor acts through; everything is in memory and lost on power loss.
 */
import type { VirtualClock } from '../../../src/common/clock.js';
import { ok } from '../../../src/common/result.js';
import type { SystemPort } from '../../../src/executor/index.js';
import { stepFailed, stepOk } from '../../../src/executor/outcome.js';
import type { SimCluster } from '../../../src/sim/cluster.js';
import type { ProcessClock } from './process-clock.js';
import type { NodeName } from './sim-config.js';

interface HolderProcess {
  readonly pid: number;
  /** Ignores SIGTERM (only SIGKILL ends it early). */
  readonly stubborn: boolean;
  /** It closes its files by itself at this time. */
  readonly untilMs: number;
  exited: boolean;
}

export class SimHost {
  readonly services = new Set<string>();
  readonly addresses = new Set<string>();
  private holders: HolderProcess[] = [];
  private nextPid = 4000;

  constructor(
    readonly name: NodeName,
    private readonly cluster: SimCluster,
    private readonly clock: VirtualClock,
  ) {}

  /** Power loss: every process and every address is gone (the mount table is the sim node's). */
  powerLoss(): void {
    this.services.clear();
    this.addresses.clear();
    for (const h of this.holders) h.exited = true;
    this.holders = [];
  }

  /** A process opens a file on the mount point for `forMs` (only where it is mounted). */
  addHolder(forMs: number, stubborn: boolean): number | null {
    const node = this.cluster.node(this.name);
    if (!node.powered || node.mounts.size === 0) return null;
    const h: HolderProcess = {
      pid: this.nextPid++,
      stubborn,
      untilMs: this.clock.nowMs() + forMs,
      exited: false,
    };
    this.holders.push(h);
    return h.pid;
  }

  /** Holders end at their time; a holder also ends when the file system goes away under it. */
  private live(): HolderProcess[] {
    const now = this.clock.nowMs();
    for (const h of this.holders) if (now >= h.untilMs) h.exited = true;
    this.holders = this.holders.filter((h) => !h.exited);
    return this.holders;
  }

  /** Every holder exits now (the fault heals). */
  endHolders(): void {
    for (const h of this.holders) h.exited = true;
    this.holders = [];
  }

  get busy(): boolean {
    return this.live().length > 0;
  }

  /** The SystemPort of the daemon process running on this host (its clock gates results while paused). */
  systemPort(proc: ProcessClock): SystemPort {
    const node = () => this.cluster.node(this.name);
    const gate = <T>(v: T) => proc.gate(v);
    const exitAfterTerm = (h: HolderProcess) => {
      // A well-behaved holder closes its files and exits shortly after SIGTERM.
      proc.setTimer(100, () => {
        h.exited = true;
      });
    };
    return {
      mountState: (_device, mountPoint) =>
        gate(ok(node().mounts.has(mountPoint) ? { kind: 'mounted-here' } : { kind: 'not-mounted' })),
      fsck: () => gate(stepOk('fsck: clean')),
      mount: (_device, mountPoint) => {
        const r = node().mount(mountPoint);
        return gate(
          r.ok
            ? stepOk(`mount ${mountPoint}: ok`)
            : stepFailed('mount-failed', `mount ${mountPoint}: ${r.reason}`, true),
        );
      },
      umount: (mountPoint) => {
        const n = node();
        if (!n.mounts.has(mountPoint)) return gate(stepOk(`umount ${mountPoint}: not mounted`));
        if (this.live().length > 0)
          return gate(stepFailed('busy', `umount: ${mountPoint}: target is busy.`, true));
        n.umount(mountPoint);
        return gate(stepOk(`umount ${mountPoint}: ok`));
      },
      findHolders: () =>
        gate(ok(this.live().map((h) => ({ pid: h.pid, user: 'root', access: 'f', command: 'app-writer' })))),
      signal: (pid, signal) => {
        const h = this.live().find((x) => x.pid === pid);
        if (h === undefined) return 'no-such-process';
        if (signal === 'SIGKILL') h.exited = true;
        else if (!h.stubborn) exitAfterTerm(h);
        return 'sent';
      },
      isAlive: (pid) => this.live().some((h) => h.pid === pid),
      processCommand: (pid) => (this.live().some((h) => h.pid === pid) ? 'app-writer' : null),
      serviceActive: (unit) => gate(ok(this.services.has(unit))),
      startService: (unit) => {
        if (!node().mounts.has('/mnt/r0'))
          return gate(stepFailed('service-start-failed', `${unit}: file system not mounted`, true));
        this.services.add(unit);
        return gate(stepOk(`systemctl start ${unit}: ok`));
      },
      stopService: (unit) => {
        this.services.delete(unit);
        return gate(stepOk(`systemctl stop ${unit}: ok`));
      },
      addressPresent: (a) => gate(ok(this.addresses.has(`${a.address}/${a.prefix}`))),
      addAddress: (a) => {
        this.addresses.add(`${a.address}/${a.prefix}`);
        return gate(stepOk('ip addr add: ok'));
      },
      removeAddress: (a) => {
        this.addresses.delete(`${a.address}/${a.prefix}`);
        return gate(stepOk('ip addr del: ok'));
      },
      announceAddress: () => gate(stepOk('gratuitous ARP sent')),
      runHandler: () => gate(stepOk('handler: ok')),
    };
  }
}
