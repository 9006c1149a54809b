/**
 * Test-only entry: runs one membership endpoint in its own process, for the two-process tests and the
 * benchmark. `node --import tsx test/support/membership-node.ts '<json config>'`.
 *
 * stdout: JSON lines `{"t":"ready",...}`, `{"t":"event",...}` (every MembershipEvent, `atMs` on the
 * system monotonic clock, comparable across processes on one host), `{"t":"counters",...}` and
 * `{"t":"view",...}` on the stdin commands `counters` / `view`. Exits by itself after `maxRunMs`.
 */
import { createInterface } from 'node:readline';
import { systemClock } from '../../src/common/clock.js';
import { createLogger } from '../../src/common/log.js';
import { MembershipEndpoint, nextIncarnation, type DetectorMode } from '../../src/membership/index.js';
import type { LinkSpec } from '../../src/membership/transport.js';

export interface MembershipNodeConfig {
  readonly cluster: string;
  readonly node: string;
  readonly peer: string;
  readonly keyHex: string;
  readonly stateDir: string;
  readonly links: readonly LinkSpec[];
  readonly intervalMs: number;
  readonly warntimeMs: number;
  readonly deadtimeMs: number;
  readonly mode?: DetectorMode;
  /** The process exits by itself after this long (bounded runs). */
  readonly maxRunMs: number;
  /** pino level on stderr; default silent. */
  readonly logLevel?: 'info' | 'debug' | 'warn';
}

function out(obj: object): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as MembershipNodeConfig;
  const logger =
    cfg.logLevel === undefined ? undefined : createLogger({ level: cfg.logLevel, node: cfg.node });
  const inc = await nextIncarnation(cfg.stateDir, logger === undefined ? {} : { logger });
  if (!inc.ok) {
    out({ t: 'error', error: inc.error.message });
    process.exit(1);
  }
  const ep = new MembershipEndpoint({
    clusterName: cfg.cluster,
    nodeName: cfg.node,
    peerName: cfg.peer,
    key: Buffer.from(cfg.keyHex, 'hex'),
    incarnation: inc.value,
    links: cfg.links,
    intervalMs: cfg.intervalMs,
    warntimeMs: cfg.warntimeMs,
    deadtimeMs: cfg.deadtimeMs,
    ...(cfg.mode === undefined ? {} : { mode: cfg.mode }),
    clock: systemClock,
    ...(logger === undefined ? {} : { logger }),
    getReport: () => ({ resources: [], standby: false, maintenance: false, health: 'ok' }),
    onRequest: (op) =>
      Promise.resolve({ outcome: 'done', code: 'ok', message: `handled ${op.kind}`, report: null }),
  });
  ep.onEvent((e) => out({ t: 'event', ...e }));
  const started = await ep.start();
  if (!started.ok) {
    out({ t: 'error', error: started.error.message });
    process.exit(1);
  }
  out({ t: 'ready', incarnation: inc.value, atMs: systemClock.nowMs(), pid: process.pid });
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line === 'counters') out({ t: 'counters', counters: ep.counters });
    else if (line === 'view') out({ t: 'view', view: ep.view() });
  });
  const shutdown = (): void => {
    void ep.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  setTimeout(shutdown, cfg.maxRunMs).unref();
  // Keep running while the endpoint's timers are alive; the unref'd timer above bounds the run.
}

void main();
