/**
 * Recording fakes of the executor's ports: a tiny in-memory world (DRBD state, mounts, services,
 * addresses, processes) that behaves like the real thing for the executor's purposes.
 */
import type { Clock } from '../../../src/common/clock.js';
import { VirtualClock } from '../../../src/common/clock.js';
import { err, ok } from '../../../src/common/result.js';
import type { ConnectionState, DiskState, Role } from '../../../src/drbd/types.js';
import type { ExecutorContext } from '../../../src/executor/context.js';
import type { StepOutcome } from '../../../src/executor/outcome.js';
import type {
  DrbdPort,
  FenceOutcome,
  FencePort,
  Holder,
  Notifier,
  PeerRequestOutcome,
  PeerRequester,
  SystemPort,
} from '../../../src/executor/ports.js';
import type { ResourceExecConfig } from '../../../src/executor/resource-config.js';
import { DEFAULT_TIMEOUTS } from '../../../src/executor/resource-config.js';

export interface FakeDrbdState {
  role: Role;
  peerRole: Role;
  disks: DiskState[];
  peerDisks: DiskState[];
  cstate: ConnectionState;
}

export interface FakeProcess {
  pid: number;
  command: string;
  alive: boolean;
  onTerm: 'dies' | 'ignores';
  /** What /proc/PID/comm says now, when it differs from what fuser listed (PID reused). */
  commandNow?: string;
}

export class FakeWorld {
  readonly calls: string[] = [];
  drbd: Record<string, FakeDrbdState> = {};
  mounts = new Set<string>(); // "device@point"
  activeServices = new Set<string>();
  addresses = new Set<string>(); // "addr/prefix@dev"
  holders: FakeProcess[] = [];
  signals: string[] = [];
  /** Operations that never answer (to test timeouts), by call name prefix. */
  hang = new Set<string>();
  /** Forced outcomes by call name prefix. */
  fail = new Map<string, StepOutcome>();
  peerAnswer: PeerRequestOutcome = { status: 'ok', detail: 'done' };
  fenceAnswer: FenceOutcome = { status: 'fenced', handlers: [], detail: 'fenced by test' };
  notifyAnswer: StepOutcome = { status: 'ok', detail: 'sent' };
  handlerRuns: { argv: readonly string[]; env: Readonly<Record<string, string>> }[] = [];

  private async op(name: string, effect: () => StepOutcome): Promise<StepOutcome> {
    this.calls.push(name);
    for (const h of this.hang) if (name.startsWith(h)) return new Promise<StepOutcome>(() => {});
    for (const [prefix, outcome] of this.fail) if (name.startsWith(prefix)) return outcome;
    return effect();
  }

  drbdPort(): DrbdPort {
    const st = (r: string): FakeDrbdState => {
      const s = this.drbd[r];
      if (!s) throw new Error(`fake: no DRBD state for ${r}`);
      return s;
    };
    return {
      primary: (r) =>
        this.op(`drbd primary ${r}`, () => {
          const s = st(r);
          if (!s.disks.every((d) => d === 'UpToDate'))
            return {
              status: 'failed',
              errorKind: 'need-uptodate',
              retrySafe: true,
              detail: '(-2) Need access to UpToDate data',
            };
          s.role = 'Primary';
          return { status: 'ok', detail: 'primary' };
        }),
      secondary: (r) =>
        this.op(`drbd secondary ${r}`, () => {
          if ([...this.mounts].some((m) => m.startsWith(`/dev/${r}@`)))
            return {
              status: 'failed',
              errorKind: 'held-open',
              retrySafe: true,
              detail: '(-12) Device is held open by someone',
            };
          st(r).role = 'Secondary';
          return { status: 'ok', detail: 'secondary' };
        }),
      outdate: (r) =>
        this.op(`drbd outdate ${r}`, () => {
          st(r).disks = st(r).disks.map(() => 'Outdated');
          return { status: 'ok', detail: 'outdated' };
        }),
      connect: (r) =>
        this.op(`drbd connect ${r}`, () => {
          st(r).cstate = 'WFConnection';
          return { status: 'ok', detail: 'connect' };
        }),
      status: async (r) => {
        this.calls.push(`drbd status ${r}`);
        if (this.hang.has('drbd status')) return new Promise(() => {});
        const s = this.drbd[r];
        if (!s) return err({ errorKind: 'not-configured', detail: `no ${r}`, timedOut: false });
        return ok({ ...s, disks: [...s.disks], peerDisks: [...s.peerDisks] });
      },
    };
  }

  systemPort(): SystemPort {
    const holderList = (): Holder[] =>
      this.holders
        .filter((h) => h.alive && h.commandNow === undefined)
        .map((h) => ({ pid: h.pid, user: 'root', access: '..c..', command: h.command }));
    return {
      mountState: async (device, point) => {
        this.calls.push(`mountState ${point}`);
        const here = this.mounts.has(`${device}@${point}`);
        const other = [...this.mounts].find(
          (m) => m !== `${device}@${point}` && (m.startsWith(`${device}@`) || m.endsWith(`@${point}`)),
        );
        if (other) return ok({ kind: 'conflict', detail: `conflict ${other}` });
        return ok(here ? { kind: 'mounted-here' } : { kind: 'not-mounted' });
      },
      fsck: (device) => this.op(`fsck ${device}`, () => ({ status: 'ok', detail: 'clean' })),
      mount: (device, point, fstype, options) =>
        this.op(`mount ${device} ${point} ${fstype} ${options.join(',')}`, () => {
          this.mounts.add(`${device}@${point}`);
          return { status: 'ok', detail: 'mounted' };
        }),
      umount: (point) =>
        this.op(`umount ${point}`, () => {
          if (holderList().length > 0)
            return { status: 'failed', errorKind: 'busy', retrySafe: true, detail: 'target is busy' };
          for (const m of this.mounts) if (m.endsWith(`@${point}`)) this.mounts.delete(m);
          return { status: 'ok', detail: 'unmounted' };
        }),
      findHolders: async (point) => {
        this.calls.push(`fuser ${point}`);
        return ok(holderList());
      },
      signal: (pid, signal) => {
        this.signals.push(`${signal} ${pid}`);
        const p = this.holders.find((h) => h.pid === pid && h.alive);
        if (!p) return 'no-such-process';
        if (signal === 'SIGKILL' || p.onTerm === 'dies') p.alive = false;
        return 'sent';
      },
      isAlive: (pid) => this.holders.some((h) => h.pid === pid && h.alive),
      processCommand: (pid) => {
        const p = this.holders.find((h) => h.pid === pid && h.alive);
        return p ? (p.commandNow ?? p.command) : null;
      },
      serviceActive: async (unit) => {
        this.calls.push(`is-active ${unit}`);
        return ok(this.activeServices.has(unit));
      },
      startService: (unit) =>
        this.op(`start ${unit}`, () => {
          this.activeServices.add(unit);
          return { status: 'ok', detail: 'started' };
        }),
      stopService: (unit) =>
        this.op(`stop ${unit}`, () => {
          this.activeServices.delete(unit);
          return { status: 'ok', detail: 'stopped' };
        }),
      addressPresent: async (a) => {
        this.calls.push(`addr? ${a.address}`);
        return ok(this.addresses.has(`${a.address}/${a.prefix}@${a.device}`));
      },
      addAddress: (a) =>
        this.op(`addr add ${a.address}/${a.prefix}@${a.device}`, () => {
          this.addresses.add(`${a.address}/${a.prefix}@${a.device}`);
          return { status: 'ok', detail: 'added' };
        }),
      removeAddress: (a) =>
        this.op(`addr del ${a.address}/${a.prefix}@${a.device}`, () => {
          this.addresses.delete(`${a.address}/${a.prefix}@${a.device}`);
          return { status: 'ok', detail: 'removed' };
        }),
      announceAddress: (a) => this.op(`arp ${a.address}`, () => ({ status: 'ok', detail: 'arp sent' })),
      runHandler: (argv, env) =>
        this.op(`handler ${argv.join(' ')}`, () => {
          this.handlerRuns.push({ argv, env });
          return { status: 'ok', detail: 'handler ran' };
        }),
    };
  }

  peerPort(): PeerRequester {
    const answer = async (what: string) => {
      this.calls.push(what);
      if (this.hang.has(what.split(' ')[0] ?? '')) return new Promise<PeerRequestOutcome>(() => {});
      return this.peerAnswer;
    };
    return {
      outdatePeer: (r) => answer(`peer-outdate ${r}`),
      requestRelease: (r) => answer(`peer-release ${r}`),
      requestTakeover: (r) => answer(`peer-takeover ${r}`),
    };
  }

  fencePort(): FencePort {
    return {
      fencePeer: async (reason) => {
        this.calls.push(`fence ${reason}`);
        return this.fenceAnswer;
      },
    };
  }

  notifier(): Notifier {
    return {
      notify: async (event, resource, message) => {
        this.calls.push(`notify ${event} ${resource ?? '-'} ${message}`);
        return this.notifyAnswer;
      },
    };
  }

  /** Calls that change something (not queries). */
  mutations(): string[] {
    return this.calls.filter((c) => !/^(drbd status|mountState|fuser|is-active|addr\?)/.test(c));
  }
}

export function resourceConfig(overrides: Partial<ResourceExecConfig> = {}): ResourceExecConfig {
  return {
    name: 'r0',
    device: '/dev/r0',
    mount: { point: '/srv/r0', fstype: 'ext4', options: ['noatime'], fsck: true },
    services: ['db.service', 'web.service'],
    addresses: [{ address: '10.0.0.50', prefix: 24, device: 'eth0' }],
    timeouts: DEFAULT_TIMEOUTS,
    onBusyUmount: 'kill',
    killGraceMs: 1_000,
    onDemoteFailure: ['/usr/local/sbin/self-fence', '--now'],
    ...overrides,
  };
}

export function context(
  world: FakeWorld,
  options: { clock?: Clock; resources?: ResourceExecConfig[]; signal?: AbortSignal } = {},
): ExecutorContext {
  const resources = options.resources ?? [resourceConfig()];
  return {
    resources: new Map(resources.map((r) => [r.name, r])),
    drbd: world.drbdPort(),
    system: world.systemPort(),
    peer: world.peerPort(),
    fence: world.fencePort(),
    notifier: world.notifier(),
    clock: options.clock ?? new VirtualClock(),
    fenceTimeoutMs: 120_000,
    localNode: 'alpha',
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

/**
 * Settles `promise` while driving `clock`: flushes pending I/O callbacks, then moves virtual time to
 * the next timer, until the promise settles.
 */
export async function drive<T>(clock: VirtualClock, promise: Promise<T>, maxSteps = 10_000): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  let failed = false;
  promise.then(
    (v) => {
      done = true;
      value = v;
    },
    (e: unknown) => {
      done = true;
      failed = true;
      error = e;
    },
  );
  for (let i = 0; i < maxSteps && !done; i++) {
    await new Promise<void>((r) => setImmediate(r));
    if (done) break;
    const next = clock.nextTimerAtMs();
    if (next !== null) clock.runUntil(next);
  }
  if (!done) throw new Error('drive: the promise did not settle');
  if (failed) throw error;
  return value as T;
}

export const primaryState = (): FakeDrbdState => ({
  role: 'Primary',
  peerRole: 'Unknown',
  disks: ['UpToDate'],
  peerDisks: ['DUnknown'],
  cstate: 'WFConnection',
});

export const secondaryState = (): FakeDrbdState => ({
  role: 'Secondary',
  peerRole: 'Unknown',
  disks: ['UpToDate'],
  peerDisks: ['DUnknown'],
  cstate: 'WFConnection',
});
