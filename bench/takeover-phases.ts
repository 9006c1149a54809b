/**
 * The phases of a takeover, read from the survivor's own log (pino JSON lines): shared by
 * bench/failover.ts (simulated DRBD), bench/lab-failover.ts and the lab's sequence test (real DRBD).
 *
 *   detection   power-off (t0, on the log's clock) to `peer-lost`
 *   fenceWait   `peer-lost` to the start of the fence-peer action (the fence delay, plus the decision)
 *   fence       the fence-peer action (the handler chain)
 *   promote     the promote action (its precondition and `drbdadm primary`, with DRBD's own fence-peer
 *               handler call inside it)
 *   mount       the mount action; services: the start-services action
 *   gaps        the takeover minus the phases (decisions and hand-offs between the actions)
 */

export const PHASES = ['detection', 'fenceWait', 'fence', 'promote', 'mount', 'services', 'gaps'] as const;
export type Phase = (typeof PHASES)[number];

export interface LogLine {
  readonly t: number;
  readonly msg: string;
  readonly j: Record<string, unknown>;
}

/** The JSON lines of a log (anything else, e.g. a stack trace, skipped). */
export function logLines(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const l of text.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      const j = JSON.parse(l) as Record<string, unknown>;
      lines.push({ t: Date.parse(String(j.time)), msg: String(j.msg), j });
    } catch {
      // A line cut by a power-off: not a record.
    }
  }
  return lines;
}

/** The takeover's actions, in the order SAFETY.md requires them. */
export const TAKEOVER_ACTIONS = ['fence-peer', 'promote', 'mount', 'start-services'] as const;

export interface TakeoverPhases {
  readonly takeoverMs: number;
  readonly phases: Record<Phase, number>;
  /** The fence-peer action's `action done` record (its handlers' report). */
  readonly fence: LogLine;
  /** Log time of the end (start-services done). */
  readonly endT: number;
}

/** Phases of the first takeover after `t0` (ms on the log's clock); throws naming what is missing. */
export function takeoverPhases(lines: readonly LogLine[], t0: number, who = 'survivor'): TakeoverPhases {
  const after = lines.filter((l) => l.t >= t0);
  const first = (what: string, p: (l: LogLine) => boolean) => {
    const l = after.find(p);
    if (!l) throw new Error(`${who}: no ${what} in the log`);
    return l;
  };
  const action = (kind: string) =>
    first(`${kind} done`, (l) => l.msg === 'action done' && l.j.action === kind);
  const lost = first('peer-lost', (l) => l.msg === 'peer-lost');
  const [fence, promote, mount, services] = TAKEOVER_ACTIONS.map(action) as [
    LogLine,
    LogLine,
    LogLine,
    LogLine,
  ];
  const ms = (l: LogLine) => Number(l.j.durationMs);
  const takeoverMs = services.t - t0;
  const phases: Record<Phase, number> = {
    detection: lost.t - t0,
    fenceWait: fence.t - ms(fence) - lost.t,
    fence: ms(fence),
    promote: ms(promote),
    mount: ms(mount),
    services: ms(services),
    gaps: 0,
  };
  phases.gaps = takeoverMs - PHASES.slice(0, -1).reduce((a, p) => a + phases[p], 0);
  return { takeoverMs, phases, fence, endT: services.t };
}

/** The `q` quantile of `xs` (nearest rank). */
export const quantile = (xs: readonly number[], q: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))] as number;
};

/** Median, p95 and max, rounded to the ms. */
export const stats = (xs: readonly number[]) => ({
  median: Math.round(quantile(xs, 0.5)),
  p95: Math.round(quantile(xs, 0.95)),
  max: Math.round(Math.max(...xs)),
});
