/**
 * CLI start-up benchmark: wall time of short-lived drbd-sentinel processes, median and p95 over N runs
 * each (process spawn to exit, as a DRBD handler or the daemon's executor sees them):
 *   - `node -e 0` (the floor for anything written in Node)
 *   - `drbd-sentinel --version`
 *   - `status` with no daemon (the error path: nothing listens on the socket)
 *   - `fence-peer` / `unfence-peer` against a fake control socket that answers at once: with `--socket`,
 *     and as DRBD runs the handler (its DRBD_* environment, `-c` on the example configuration, whose
 *     control.socket names the fake socket); `fence-peer` with no daemon listening
 *   - the simulator's stand-ins (scripts/sim/drbdadm, drbdsetup, mount, umount, fuser) against a running
 *     `sim node` (the C client, dist/sim-client), and the Node fallback (`dist/cli.js sim ...`) for one
 *   - the daemon's start-up to its `ready` log line (first complete observation; READY=1 under systemd),
 *     on a local pair whose simulated DRBD runs already
 * Writes bench/results/cli-startup.json with the machine's load average before and after; each run is
 * appended, with every median's ratio to the first run's (the baseline) and its excess over `node -e 0`
 * of the same run (less sensitive to the load of this shared machine).
 *
 *   npx tsx bench/cli-startup.ts [--runs N] [--daemon-runs N] [--label TEXT] [--out FILE] [--baseline DIR]
 *
 * --baseline DIR: a built checkout of an earlier commit (DIR/dist/cli.js, DIR/scripts/sim), measured in the
 * same run: each `dist/cli.js` case alternates between the two, sample by sample, so both see the same
 * load; the daemon's start-up is measured on DIR too. Results under `baseline`, ratios in
 * `ratioToInterleavedBaseline` (--baseline-label TEXT names it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalPair, loopbackHosts } from '../src/demo/pair.js';
import { arg } from './cli-args.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(arg('--runs', '20'));
const daemonRuns = Number(arg('--daemon-runs', '10'));
const label = arg('--label', '');
const out = arg('--out', join(root, 'bench', 'results', 'cli-startup.json'));
const cli = join(root, 'dist', 'cli.js');
const baselineDir = arg('--baseline', '');
const baselineCli = baselineDir ? join(resolve(baselineDir), 'dist', 'cli.js') : null;
const baselineScripts = join(resolve(baselineDir || '.'), 'scripts', 'sim');
const simScripts = join(root, 'scripts', 'sim');

interface Stats {
  readonly runs: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
}

function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    runs: s.length,
    medianMs: r(at(0.5)),
    p95Ms: r(at(0.95)),
    minMs: r(s[0] ?? NaN),
    maxMs: r(s.at(-1) ?? NaN),
  };
}

/** Spawn-to-exit wall time of one process; checks its exit code so a broken setup does not look fast. */
function timeOnce(argv: readonly string[], env: NodeJS.ProcessEnv, expectCode: number): Promise<number> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(argv[0] as string, argv.slice(1), { env: { ...process.env, ...env }, stdio: 'pipe' });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.resume();
    child.on('error', fail);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== expectCode)
        fail(new Error(`${argv.join(' ')}: exit ${code}, expected ${expectCode}: ${stderr}`));
      else done(ms);
    });
  });
}

async function measure(argv: readonly string[], env: NodeJS.ProcessEnv = {}, expectCode = 0): Promise<Stats> {
  await timeOnce(argv, env, expectCode); // warm the page cache; not counted
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await timeOnce(argv, env, expectCode));
  return stats(samples);
}

type Result = Stats | { readonly skipped: string };
const results: Record<string, Result> = {};
const baselineResults: Record<string, Result> = {};

/** Measures one case into `results`; a `dist/cli.js` case also on the baseline, interleaved. */
async function record(key: string, argv: readonly string[], env: NodeJS.ProcessEnv = {}, expectCode = 0) {
  const stand = `${simScripts}/`;
  if (baselineCli === null || !argv.some((a) => a === cli || a.startsWith(stand))) {
    results[key] = await measure(argv, env, expectCode);
    return;
  }
  const other = argv.map((a) =>
    a === cli ? baselineCli : a.startsWith(stand) ? join(baselineScripts, a.slice(stand.length)) : a,
  );
  await timeOnce(argv, env, expectCode);
  await timeOnce(other, env, expectCode);
  const [mine, theirs]: [number[], number[]] = [[], []];
  for (let i = 0; i < runs; i++) {
    mine.push(await timeOnce(argv, env, expectCode));
    theirs.push(await timeOnce(other, env, expectCode));
  }
  results[key] = stats(mine);
  baselineResults[key] = stats(theirs);
}

/** A control socket that answers every request line at once, as a daemon that outdated the peer would. */
async function fakeControlSocket(path: string): Promise<net.Server> {
  const server = net.createServer((sock) => {
    let buf = '';
    sock.on('data', (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const req = JSON.parse(buf.slice(0, nl)) as { id?: unknown };
      sock.end(
        `${JSON.stringify({ v: 1, id: req.id ?? null, ok: true, result: { exitCode: 4, message: 'peer outdated' } })}\n`,
      );
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(path, () => r()));
  return server;
}

async function until(what: string, f: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => r(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Starts one `sim node` (no peer running: it waits for the connection, which the commands do not need). */
async function startSimNode(dir: string): Promise<ChildProcess> {
  const [p1, p2] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      cli,
      'sim',
      'node',
      '--dir',
      dir,
      '--name',
      'alpha',
      '--listen',
      `127.0.0.1:${p1}`,
      '--peer',
      `127.0.0.1:${p2}`,
    ],
    { stdio: 'ignore' },
  );
  await until('sim node control socket', () => existsSync(join(dir, 'ctl.sock')));
  return child;
}

/** Spawn of `run` to its `ready` log line, the simulated DRBD of both nodes already running. */
async function daemonReady(dir: string, cliPath: string, scripts: string): Promise<Result> {
  let readyAt: number | null = null;
  const base = 30_000 + (process.pid % 20_000);
  const pair = new LocalPair({
    dir,
    hosts: loopbackHosts(),
    cliPath,
    simScripts: scripts,
    heartbeatPort: base,
    replicationPort: base + 1,
    onLine: (node, proc, line) => {
      if (node === 'alpha' && proc === 'daemon' && readyAt === null && line.includes('"msg":"ready"'))
        readyAt = performance.now();
    },
  });
  const samples: number[] = [];
  try {
    pair.prepare();
    pair.startDrbd(0);
    pair.startDrbd(1);
    await until('both sim nodes', () => pair.paths.every((p) => existsSync(join(p.simDir, 'ctl.sock'))));
    for (let i = 0; i <= daemonRuns; i++) {
      readyAt = null;
      const t0 = performance.now();
      pair.startDaemon(0);
      await until('daemon ready', () => readyAt !== null, 60_000);
      if (i > 0) samples.push((readyAt ?? NaN) - t0); // the first start warms the cache
      pair.signal(0, 'daemon', 'SIGTERM');
      await pair.exited(0, 'daemon', 20_000);
    }
  } catch (e) {
    return { skipped: e instanceof Error ? e.message : String(e) };
  } finally {
    await pair.stopAll();
  }
  return stats(samples);
}

async function main(): Promise<void> {
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run npm run build first');
  const work = mkdtempSync(join(tmpdir(), 'drbd-sentinel-bench-cli-'));
  const loadBefore = loadavg();
  const node = process.execPath;
  const simDir = join(work, 'sim');
  let simNode: ChildProcess | null = null;
  let control: net.Server | null = null;
  try {
    await record('node -e 0', [node, '-e', '0']);
    await record('--version', [node, cli, '--version']);
    await record('status (no daemon)', [node, cli, 'status', '--socket', join(work, 'none.sock')], {}, 1);
    const sock = join(work, 'control.sock');
    control = await fakeControlSocket(sock);
    await record(
      'fence-peer (fake socket)',
      [node, cli, 'fence-peer', '--socket', sock],
      { DRBD_RESOURCE: 'r0' },
      4,
    );
    await record(
      'unfence-peer (fake socket)',
      [node, cli, 'unfence-peer', '--socket', sock],
      { DRBD_RESOURCE: 'r0' },
      0,
    );
    // As DRBD 8.4's drbdadm runs the handler: its environment, the configuration file, no --socket.
    const config = join(work, 'config.yaml');
    writeFileSync(
      config,
      readFileSync(join(root, 'config', 'drbd-sentinel.yaml'), 'utf8').replace(
        /^(\s+socket:).*$/m,
        `$1 ${sock}`,
      ),
    );
    const drbdEnv = {
      DRBD_RESOURCE: 'r0',
      DRBD_MINOR: '1',
      DRBD_CONF: '/etc/drbd.conf',
      DRBD_PEER_AF: 'ipv4',
      DRBD_PEER_ADDRESS: '10.0.0.2',
      DRBD_PEERS: 'bravo',
    };
    await record('fence-peer (DRBD env, -c config)', [node, cli, 'fence-peer', '-c', config], drbdEnv, 4);
    await record('unfence-peer (DRBD env, -c config)', [node, cli, 'unfence-peer', '-c', config], drbdEnv, 0);
    await record(
      'fence-peer (no daemon)',
      [node, cli, 'fence-peer', '--socket', join(work, 'none.sock')],
      drbdEnv,
      1,
    );

    mkdirSync(simDir, { recursive: true });
    simNode = await startSimNode(simDir);
    const env = { DRBD_SIM_DIR: simDir };
    await record('sim drbdadm role r0', [join(simScripts, 'drbdadm'), 'role', 'r0'], env);
    await record('sim drbdadm dstate r0', [join(simScripts, 'drbdadm'), 'dstate', 'r0'], env);
    await record(
      'sim drbdsetup events2 --now',
      [join(simScripts, 'drbdsetup'), 'events2', '--now', 'r0'],
      env,
    );
    // Not mounted (the node is Secondary): umount and fuser take their refusal paths, as often in failover.
    await record('sim umount (not mounted)', [join(simScripts, 'umount'), '/mnt'], env, 32);
    await record('sim fuser -m (nothing)', [join(simScripts, 'fuser'), '-m', '/mnt'], env, 1);
    // What every stand-in costs without dist/sim-client (built without a C compiler).
    await record(
      'sim drbdadm role r0 (Node fallback)',
      [node, cli, 'sim', 'drbdadm', '--', 'role', 'r0'],
      env,
    );
    simNode.kill('SIGTERM');
    simNode = null;

    results['daemon start-up to ready'] = await daemonReady(join(work, 'pair'), cli, simScripts);
    if (baselineCli !== null)
      baselineResults['daemon start-up to ready'] = await daemonReady(
        join(work, 'pair-baseline'),
        baselineCli,
        baselineScripts,
      );
  } finally {
    simNode?.kill('SIGTERM');
    control?.close();
    rmSync(work, { recursive: true, force: true });
  }

  // Keep earlier runs (e.g. the base commit's) beside this one: the file holds the before/after comparison.
  let previous: Array<{ readonly results?: Record<string, unknown> }> = [];
  try {
    const old = JSON.parse(readFileSync(out, 'utf8')) as { runs?: unknown };
    previous = Array.isArray(old.runs) ? (old.runs as typeof previous) : [];
  } catch {
    // first run
  }
  const medianOf = (r: unknown) =>
    r !== null && typeof r === 'object' && 'medianMs' in r && typeof r.medianMs === 'number'
      ? r.medianMs
      : null;
  const baseline = previous[0]?.results ?? {};
  const nodeFloor = medianOf(results['node -e 0']);
  const ratioToBaseline: Record<string, number> = {};
  const overNodeMs: Record<string, number> = {};
  for (const [k, v] of Object.entries(results)) {
    const now = medianOf(v);
    const before = medianOf(baseline[k]);
    if (now !== null && before !== null && before > 0)
      ratioToBaseline[k] = Math.round((now / before) * 1000) / 1000;
    if (now !== null && nodeFloor !== null && k !== 'node -e 0')
      overNodeMs[k] = Math.round((now - nodeFloor) * 10) / 10;
  }

  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: root,
    encoding: 'utf8',
  }).stdout.trim();
  const run = {
    label,
    commit,
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadavgBefore: loadBefore.map((x) => Math.round(x * 100) / 100),
    loadavgAfter: loadavg().map((x) => Math.round(x * 100) / 100),
    runsEach: runs,
    results,
    ratioToBaseline,
    overNodeMs,
    ...(baselineCli === null
      ? {}
      : {
          baseline: {
            dir: baselineDir,
            label: arg('--baseline-label', ''),
            results: baselineResults,
          },
          ratioToInterleavedBaseline: Object.fromEntries(
            Object.entries(results).flatMap(([k, v]) => {
              const [now, before] = [medianOf(v), medianOf(baselineResults[k])];
              return now !== null && before !== null && before > 0
                ? [[k, Math.round((now / before) * 1000) / 1000]]
                : [];
            }),
          ),
        }),
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ runs: [...previous, run] }, null, 2)}\n`);
  const line = (v: Result | undefined) =>
    v === undefined
      ? ''
      : 'skipped' in v
        ? `skipped: ${v.skipped}`
        : `median ${v.medianMs} ms  p95 ${v.p95Ms} ms`;
  for (const [k, v] of Object.entries(results))
    process.stdout.write(
      `${k.padEnd(38)} ${line(v)}${k in baselineResults ? `   baseline ${line(baselineResults[k])}` : ''}\n`,
    );
  process.stdout.write(
    `load average before ${run.loadavgBefore.join(' ')}, after ${run.loadavgAfter.join(' ')}\n`,
  );
}

await main();
