/**
 * Idle cost of a daemon: CPU (user + system, from /proc/PID/stat) and RSS (VmRSS, sampled every
 * second) of both daemons of a steady local pair (real daemons, simulated DRBD, both nodes up) over
 * a window, with the heartbeat profile given. Writes bench/results/idle.json.
 *
 *   npx tsx bench/idle.ts [--profile fast] [--seconds 60] [--label NAME] [--root DIR] [--out FILE]
 *
 * To profile the daemons: NODE_OPTIONS refuses --cpu-prof, but `NODE_OPTIONS="--import PRELOAD"` is
 * passed on to them, and a preload that starts node:inspector's Profiler writes a .cpuprofile.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalPair, loopbackHosts, sleep } from '../src/demo/pair.js';
import { arg } from './cli-args.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const profile = arg('--profile', 'fast') as 'fast' | 'default';
const seconds = Number(arg('--seconds', '60'));
const root = resolve(arg('--root', repo));
const label = arg('--label', 'current');
const out = arg('--out', join(repo, 'bench', 'results', 'idle.json'));

const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const cpuSeconds = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / ticks;
};
const rssMiB = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

const dir = mkdtempSync(join(tmpdir(), 'drbd-sentinel-idle-'));
const base = 30_000 + (process.pid % 20_000);
const pair = new LocalPair({
  dir,
  hosts: loopbackHosts(),
  cliPath: join(root, 'dist', 'cli.js'),
  simScripts: join(root, 'scripts', 'sim'),
  heartbeatPort: base,
  replicationPort: base + 1,
  heartbeat: { profile, initdead: '10s' },
});
const loadStart = loadavg();
const nodes: Record<string, unknown> = {};
try {
  await pair.startServing();
  // Past start-up (module loading, the first decisions): the window measures the steady state.
  await sleep(5_000);
  const pids = ([0, 1] as const).map((i) => {
    const pid = Number(readFileSync(pair.paths[i].pidFile, 'utf8').trim().split(' ')[0]);
    return { name: pair.nodeName(i), pid, cpu0: cpuSeconds(pid), rss: [] as number[] };
  });
  const t0 = performance.now();
  for (let s = 0; s < seconds; s++) {
    await sleep(1_000);
    for (const p of pids) p.rss.push(rssMiB(p.pid));
  }
  const wallS = (performance.now() - t0) / 1000;
  for (const p of pids) {
    const cpuS = cpuSeconds(p.pid) - p.cpu0;
    const rss = [...p.rss].sort((a, b) => a - b);
    nodes[p.name] = {
      cpuSeconds: Number(cpuS.toFixed(2)),
      cpuPercentOfOneCore: Number(((100 * cpuS) / wallS).toFixed(2)),
      rssMiB: {
        median: Number((rss[Math.floor(rss.length / 2)] ?? NaN).toFixed(1)),
        max: Number((rss[rss.length - 1] ?? NaN).toFixed(1)),
      },
    };
  }
} finally {
  await pair.stopAll();
  rmSync(dir, { recursive: true, force: true });
}
const run = {
  date: new Date().toISOString(),
  build: root === repo ? 'this worktree' : root,
  profile,
  windowSeconds: seconds,
  machine: { cpus: cpus().length, loadavgStart: loadStart, loadavgEnd: loadavg() },
  targets: { cpuPercentOfOneCore: 1, rssMiB: 60 },
  nodes,
};
const previous = existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as { runs?: object }) : {};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ benchmark: 'idle CPU and RSS of a daemon (bench/idle.ts)', runs: { ...(previous.runs ?? {}), [label]: run } }, null, 2)}\n`,
);
process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
