/**
 * Failover benchmark: power loss of the Primary's node (its daemon and its DRBD SIGKILLed at once) to
 * the survivor serving again (Primary, mounted, its start-services step done), over N trials of the
 * local pair (real daemons, simulated DRBD on loopback addresses). Per setting it reports median and
 * p95 of the takeover and of each phase, read from the survivor's own log (bench/takeover-phases.ts:
 * detection, fence wait, fence, promote, mount, services, gaps), and the overhead = takeover -
 * configured waits (dead time + fence delay) - measured command time (the fence handlers' durations from the fence report, plus every simulated drbdadm / drbdsetup /
 * mount / fuser run of the survivor between the power-off and the end, timed by the stand-in client
 * itself: DRBD_SIM_TRACE). The stand-ins are symlinks to the C client (no shell wrapper), so a command
 * costs what the client costs.
 *
 *   npx tsx bench/failover.ts [--trials N] [--settings a,b] [--label after] [--root DIR] [--out FILE]
 *
 * --root runs another build (a copy of dist/ and scripts/ of an older commit, for a before/after);
 * --label names this run in the results file, whose other runs are kept.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalPair, loopbackHosts, servesResource, sleep, type PairOptions } from '../src/demo/pair.js';
import { logLines, PHASES, stats, takeoverPhases, type Phase } from './takeover-phases.js';
import { arg } from './cli-args.js';
import { standIns } from './sim-stand-ins.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const trials = Number(arg('--trials', '10'));
const root = resolve(arg('--root', repo));
const label = arg('--label', 'current');
const out = arg('--out', join(repo, 'bench', 'results', 'failover.json'));

interface Setting {
  readonly name: string;
  readonly heartbeat: NonNullable<PairOptions['heartbeat']>;
  readonly deadtimeMs: number;
  readonly fenceDelayMs: number;
}
const SETTINGS: readonly Setting[] = [
  {
    name: 'defaults',
    heartbeat: { profile: 'default', initdead: '10s' },
    deadtimeMs: 2_000,
    fenceDelayMs: 5_000,
  },
  {
    name: 'fast-delay-0s',
    heartbeat: { profile: 'fast', initdead: '10s' },
    deadtimeMs: 200,
    fenceDelayMs: 0,
  },
  {
    name: 'fast-delay-1s',
    heartbeat: { profile: 'fast', initdead: '10s' },
    deadtimeMs: 200,
    fenceDelayMs: 1_000,
  },
];
const chosen = arg('--settings', SETTINGS.map((s) => s.name).join(','))
  .split(',')
  .map((n) => {
    const s = SETTINGS.find((x) => x.name === n);
    if (!s) throw new Error(`unknown setting ${n} (known: ${SETTINGS.map((x) => x.name).join(', ')})`);
    return s;
  });

interface Trial {
  readonly takeoverMs: number;
  readonly phases: Record<Phase, number>;
  readonly commandMs: number;
  /** The survivor's commands on the takeover path: `op args` and ms, in order. */
  readonly commands: ReadonlyArray<readonly [string, number]>;
  readonly overheadMs: number;
}

function analyse(pair: LocalPair, survivor: 0 | 1, t0: number, s: Setting): Trial {
  const paths = pair.paths[survivor];
  const lines = logLines(readFileSync(join(paths.root, 'daemon.log'), 'utf8'));
  const { takeoverMs, phases, fence, endT: end } = takeoverPhases(lines, t0, pair.nodeName(survivor));
  const handlers = (fence.j.fence as { handlers: Array<{ durationMs: number }> }).handlers;
  const commands: Array<readonly [string, number]> = handlers.map((h) => ['fence handler', h.durationMs]);
  const trace = join(paths.simDir, 'trace');
  if (existsSync(trace))
    for (const l of readFileSync(trace, 'utf8').split('\n')) {
      const m = /^(\S+) (\S+) (.*)$/.exec(l);
      if (!m) continue;
      const [a, b] = [Number(m[1]), Number(m[2])];
      // The pino clock has ms resolution: a command that started in the power-off's ms counts.
      if (a >= t0 - 1 && b <= end + 1) commands.push([m[3] as string, Math.round((b - a) * 10) / 10]);
    }
  const commandMs = commands.reduce((x, [, d]) => x + d, 0);
  return {
    takeoverMs,
    phases,
    commandMs: Math.round(commandMs),
    commands,
    overheadMs: Math.round(takeoverMs - s.deadtimeMs - s.fenceDelayMs - commandMs),
  };
}

async function trial(s: Setting, n: number): Promise<Trial> {
  const dir = mkdtempSync(join(tmpdir(), 'drbd-sentinel-bench-'));
  const base = 30_000 + ((process.pid + n * 7) % 20_000);
  const pair = new LocalPair({
    dir,
    hosts: loopbackHosts(),
    cliPath: join(root, 'dist', 'cli.js'),
    simScripts: standIns(root, dir),
    heartbeatPort: base,
    replicationPort: base + 1,
    heartbeat: s.heartbeat,
    fenceDelay: `${s.fenceDelayMs}ms`,
  });
  try {
    const primary = await pair.startServing();
    const survivor = (1 - primary) as 0 | 1;
    // Let the start-up's notifications and first decisions settle: the trial measures a steady pair.
    await sleep(1_000);
    const t0 = Date.now();
    pair.powerOff(primary);
    await pair.waitFor('survivor serves', (x, y) => servesResource(survivor === 0 ? x : y), 120_000);
    await sleep(100);
    return analyse(pair, survivor, t0, s);
  } finally {
    await pair.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.env.DRBD_SIM_TRACE = '1';
const loadStart = loadavg();
const settings: Record<string, unknown> = {};
for (const s of chosen) {
  const runs: Trial[] = [];
  for (let n = 0; n < trials; n++) {
    const t = await trial(s, n);
    runs.push(t);
    process.stdout.write(
      `${s.name} ${n + 1}/${trials}: ${t.takeoverMs} ms (${PHASES.map((p) => `${p} ${t.phases[p]}`).join(', ')}; commands ${t.commandMs}, overhead ${t.overheadMs})\n`,
    );
  }
  settings[s.name] = {
    config: {
      heartbeat: s.heartbeat,
      deadtimeMs: s.deadtimeMs,
      fenceDelayMs: s.fenceDelayMs,
      configuredWaitsMs: s.deadtimeMs + s.fenceDelayMs,
    },
    trials,
    takeoverMs: stats(runs.map((t) => t.takeoverMs)),
    phasesMs: Object.fromEntries(PHASES.map((p) => [p, stats(runs.map((t) => t.phases[p]))])),
    commandMs: stats(runs.map((t) => t.commandMs)),
    overheadMs: stats(runs.map((t) => t.overheadMs)),
    samples: runs,
  };
}
const run = {
  date: new Date().toISOString(),
  build: root === repo ? 'this worktree' : root,
  machine: { cpus: cpus().length, loadavgStart: loadStart, loadavgEnd: loadavg() },
  settings,
};
const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>) : {};
const runs = (typeof previous.runs === 'object' && previous.runs !== null ? previous.runs : {}) as Record<
  string,
  unknown
>;
const result = {
  benchmark:
    'takeover after power loss of the Primary (local pair, real daemons, simulated DRBD): phases from the survivor log',
  method: 'bench/failover.ts (header comment); times in ms; median, p95 and max over the trials',
  runs: { ...runs, [label]: run },
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `${JSON.stringify({ [label]: { ...run, settings: Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, { ...(v as object), samples: undefined }])) } }, null, 2)}\n`,
);
