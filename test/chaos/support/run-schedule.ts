/**
 * Runs one chaos schedule against a fresh netns pair (test/netns/support) and judges its history with
 * the pure checker: settle, a client writing to whichever node is Primary, a 50 ms role sampler, the
 * seed's faults injected and healed on time, a global heal, a settle phase with a supervisor (powers
 * nodes on, restarts daemons, replaces failed disks, as systemd and an operator would), then the
 * checks. Everything (schedule, timeline, history, verdicts, logs, journals) is written to one
 * directory, deleted when the schedule passes and printed when it fails.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusSnapshot } from '../../../src/control/index.js';
import { controlRequest } from '../../../src/sim/process/control-client.js';
import { startNetnsFaultRelay, type NetnsFaultRelay } from '../../netns/support/netns-fault-relay.js';
import {
  DEADTIME_MS,
  HEARTBEAT_PORT,
  resourceOf,
  sleep,
  steadyServer,
  withNetnsPair,
  type NetnsPair,
  type NodeIndex,
} from '../../netns/support/netns-pair.js';
import { NO_FAULTS } from '../../support/udp-fault-relay.js';
import {
  checkHistory,
  classifyEndState,
  type AckedWrite,
  type ChaosHistory,
  type CheckResult,
  type FinalNode,
  type Page,
  type RoleSample,
} from '../checker.js';
import { failovers, type Failover } from '../metrics.js';
import { describeFault, makeSchedule, type FaultKind, type Schedule } from '../schedule.js';
import { FaultInjector, withTimeout, type Heal } from './faults.js';
import { createNodeControls } from './node-controls.js';

/** After the heal a node must acknowledge a write within this long (fence retry backoff dominates). */
export const RECOVERY_BOUND_MS = 45_000;
/** How long the settle phase waits for a steady pair or a stable operator-required state. */
const SETTLE_MS = 90_000;
/** An operator-required state must hold this long (past initdead, 10 s) to count as where the pair settled. */
const OPERATOR_STABLE_MS = 15_000;
const NODES = ['alpha', 'bravo'] as const;

export interface FaultRecord {
  readonly kind: FaultKind;
  readonly what: string;
  readonly atMs: number;
  readonly durationMs: number;
  readonly node: string | null;
  readonly applied: boolean;
  readonly note?: string;
}

export interface ScheduleResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly check: CheckResult | null;
  /** A harness error (setup, teardown) or the double-Primary monitor's finding. */
  readonly error: string | null;
  readonly faults: readonly FaultRecord[];
  readonly failovers: readonly Failover[];
  readonly acked: number;
  readonly samples: number;
  readonly durationMs: number;
  readonly loadavg: readonly number[];
  /** The directory with everything, kept when the schedule failed. */
  readonly keptDir: string | null;
}

function readRoles(p: NetnsPair, i: NodeIndex): { role: string | null; disk: string | null } {
  if (!p.pair.running(i, 'drbd')) return { role: null, disk: null };
  try {
    const text = readFileSync(join(p.pair.paths[i].simDir, 'proc-drbd'), 'utf8');
    return {
      role: /\bro:(\w+)\//.exec(text)?.[1] ?? null,
      disk: /\bds:(\w+)\//.exec(text)?.[1] ?? null,
    };
  } catch {
    return { role: null, disk: null };
  }
}

function pagesOf(p: NetnsPair, i: NodeIndex): Page[] {
  const f = p.pair.paths[i].notifyLog;
  if (!existsSync(f)) return [];
  const out: Page[] = [];
  for (const l of readFileSync(f, 'utf8').split('\n'))
    try {
      if (l.trim() !== '') {
        const n = JSON.parse(l) as { event: string; reason?: string };
        out.push({ event: n.event, reason: n.reason });
      }
    } catch {
      // a line being written right now
    }
  return out;
}

function finalNode(s: StatusSnapshot | null, held: readonly string[] | null, pages: Page[]): FinalNode {
  const r = resourceOf(s);
  return {
    role: r?.role ?? null,
    disk: r?.disk ?? null,
    cstate: r?.cstate ?? null,
    mounted: r?.mounted ?? false,
    frozen: r?.frozen ?? false,
    lastReason: s?.lastDecision?.reason ?? null,
    held,
    pages,
  };
}

async function heldOn(p: NetnsPair, i: NodeIndex): Promise<string[] | null> {
  const r = await withTimeout(controlRequest(p.pair.paths[i].simDir, { op: 'history' }), 10_000);
  return r?.ok ? (r.value as { held: string[] }).held : null;
}

/** Runs schedule `seed`; never throws (a harness error is a failed result). */
export async function runSchedule(seed: number): Promise<ScheduleResult> {
  const schedule: Schedule = makeSchedule(seed, { deadtimeMs: DEADTIME_MS });
  const dir = mkdtempSync(join(tmpdir(), `drbd-sentinel-chaos-${seed}-`));
  const started = Date.now();
  const controls = createNodeControls(dir, NODES);
  writeFileSync(join(dir, 'schedule.json'), `${JSON.stringify(schedule, null, 2)}\n`);
  const timelineFile = join(dir, 'timeline.jsonl');
  let relay: NetnsFaultRelay | null = null;
  let check: CheckResult | null = null;
  const samples: RoleSample[] = [];
  const acked: AckedWrite[] = [];
  const faults: FaultRecord[] = [];
  let error: string | null = null;

  try {
    await withNetnsPair(
      `chaos-${seed}`,
      {
        dir: join(dir, 'pair'),
        fenceHandler: controls.fenceHandler,
        nodeEnv: controls.nodeEnv,
        beforeStart: async (net) => {
          relay = await startNetnsFaultRelay(net, HEARTBEAT_PORT, NO_FAULTS, seed);
        },
      },
      async (p) => {
        const t0 = Date.now();
        const rel = () => Date.now() - t0;
        const log = (event: string, detail: Record<string, unknown> = {}) =>
          appendFileSync(timelineFile, `${JSON.stringify({ tMs: rel(), event, ...detail })}\n`);
        log('settled', { primary: p.pair.nodeName(p.primary) });

        // The sampler: both DRBD roles every 50 ms; change points are kept (the checker needs no more).
        let last = '';
        let sampleCount = 0;
        const sample = () => {
          const roles = [readRoles(p, 0).role, readRoles(p, 1).role] as const;
          sampleCount++;
          const key = roles.join('/');
          if (key !== last) {
            samples.push({ tMs: rel(), roles });
            last = key;
          }
        };
        sample();
        const sampler = setInterval(sample, 50);
        const primaryNow = (): NodeIndex | null => {
          const r = samples.at(-1)?.roles;
          if (r?.[0] === 'Primary') return 0;
          if (r?.[1] === 'Primary') return 1;
          return null;
        };

        // The client: writes to whichever node's DRBD is Primary; keeps what was acknowledged.
        let writing = true;
        const client = (async () => {
          while (writing) {
            const i = primaryNow();
            if (i === null) {
              await sleep(100);
              continue;
            }
            const r = await withTimeout(
              controlRequest(p.pair.paths[i].simDir, { op: 'write', count: 3, waitMs: 2_000 }),
              5_000,
            );
            if (r?.ok)
              for (const id of (r.value as { acked?: string[] }).acked ?? [])
                acked.push({ id, node: i, tMs: rel() });
            await sleep(150);
          }
        })();

        const injector = new FaultInjector({
          p,
          relay: relay as unknown as NetnsFaultRelay,
          controls,
          primaryNow,
          log: (event, detail) => log(event, detail),
        });

        // The faults, each injected at its time and healed after its duration.
        const heals = new Map<number, Heal>();
        const steps = schedule.faults.flatMap((f, k) => [
          { t: f.atMs, k, inject: true },
          { t: f.atMs + f.durationMs, k, inject: false },
        ]);
        steps.sort((a, b) => a.t - b.t || Number(a.inject) - Number(b.inject));
        for (const s of steps) {
          const wait = s.t - rel();
          if (wait > 0) await sleep(wait);
          const f = schedule.faults[s.k]!;
          if (s.inject) {
            const r = await injector.inject(f.fault);
            if (r.heal) heals.set(s.k, r.heal);
            const node = r.node === null ? null : p.pair.nodeName(r.node);
            faults.push({
              kind: f.fault.kind,
              what: describeFault(f.fault),
              atMs: rel(),
              durationMs: f.durationMs,
              node,
              applied: r.heal !== null,
              ...(r.note ? { note: r.note } : {}),
            });
            log(r.heal ? 'inject' : 'skip', { fault: describeFault(f.fault), node, note: r.note });
          } else {
            const heal = heals.get(s.k);
            heals.delete(s.k);
            if (heal) {
              await heal();
              log('heal', { fault: describeFault(f.fault) });
            }
          }
        }
        const healedAtMs = rel();
        log('healed');

        // Settle: a supervisor keeps both nodes powered on with working disks, as systemd and an
        // operator would, until the pair is steady or sits in an operator-required state.
        const settleUntil = Date.now() + SETTLE_MS;
        let operatorSince: number | null = null;
        const lastRepair = [0, 0];
        let settledAs = 'timeout';
        while (Date.now() < settleUntil) {
          for (const i of [0, 1] as const) {
            if (!p.pair.running(i, 'drbd') || !p.pair.running(i, 'daemon')) {
              log('supervisor-power-on', {
                node: p.pair.nodeName(i),
                drbd: p.pair.running(i, 'drbd'),
                daemon: p.pair.running(i, 'daemon'),
              });
              injector.powerOn(i);
            }
            if (readRoles(p, i).disk === 'Diskless' && Date.now() - lastRepair[i]! > 5_000) {
              lastRepair[i] = Date.now();
              log('supervisor-replace-disk', { node: p.pair.nodeName(i) });
              await injector.repairDisk(i);
            }
          }
          const [a, b] = await Promise.all([p.pair.status(0), p.pair.status(1)]);
          if (steadyServer(a, b) !== null && acked.some((w) => w.tMs >= healedAtMs)) {
            settledAs = 'steady';
            break;
          }
          const candidate = classifyEndState({
            nodes: NODES,
            samples: [],
            acked: [],
            healedAtMs,
            final: [finalNode(a, [], pagesOf(p, 0)), finalNode(b, [], pagesOf(p, 1))],
          });
          if (candidate.kind === 'operator') {
            operatorSince ??= Date.now();
            if (Date.now() - operatorSince >= OPERATOR_STABLE_MS) {
              settledAs = `operator:${candidate.state}`;
              break;
            }
          } else operatorSince = null;
          await sleep(500);
        }
        log('settle-end', { as: settledAs });
        writing = false;
        await client;
        clearInterval(sampler);
        sample();

        const [a, b] = await Promise.all([p.pair.status(0), p.pair.status(1)]);
        const history: ChaosHistory = {
          nodes: NODES,
          samples,
          acked,
          healedAtMs,
          lostWithFailedDisk: [...injector.lostWithFailedDisk],
          final: [
            finalNode(a, await heldOn(p, 0), pagesOf(p, 0)),
            finalNode(b, await heldOn(p, 1), pagesOf(p, 1)),
          ],
        };
        check = checkHistory(history, { recoveryBoundMs: RECOVERY_BOUND_MS });
        writeFileSync(
          join(dir, 'history.json'),
          `${JSON.stringify({ sampleCount, ...history, fenceRuns: controls.fenceRuns() })}\n`,
        );
        writeFileSync(join(dir, 'verdicts.json'), `${JSON.stringify(check, null, 2)}\n`);
        if (!check.ok)
          throw new Error(
            check.verdicts
              .filter((v) => !v.ok)
              .map((v) => `${v.check}: ${v.detail}`)
              .join('; '),
          );
      },
    );
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    (relay as NetnsFaultRelay | null)?.stop();
  }
  const ok = error === null && check !== null && (check as CheckResult).ok;
  if (ok) rmSync(dir, { recursive: true, force: true });
  else writeFileSync(join(dir, 'error.txt'), `${error ?? 'no verdicts'}\n`);
  return {
    seed,
    ok,
    check,
    error: check !== null && !(check as CheckResult).ok ? null : error,
    faults,
    failovers: failovers(samples),
    acked: acked.length,
    samples: samples.length,
    durationMs: Date.now() - started,
    loadavg: loadavg(),
    keptDir: ok ? null : dir,
  };
}
