/**
 * The newcomer's demo: two nodes on this machine (simulated DRBD over loopback TCP, real daemons,
 * real heartbeats), a power loss of the Primary's node, the survivor's fenced takeover with a timeline,
 * the old node's return and resync, and a planned switchover back. No root needed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderStatus, type StatusSnapshot } from '../control/index.js';
import { LocalPair, loopbackHosts, resourceOf, servesResource, sleep } from './pair.js';

export interface DemoOptions {
  /** Leave the pair running at the end (for `status` and `switchover` by hand). */
  readonly keep: boolean;
  /** Working directory; a new temporary one by default. */
  readonly dir?: string;
  readonly out: (line: string) => void;
}

interface TimelineEntry {
  readonly atMs: number;
  readonly node: string;
  readonly what: string;
}

/** Log messages of the survivor that make the failover timeline (pino `msg` -> label). */
function timelineLabel(j: Record<string, unknown>): string | null {
  const msg = String(j.msg ?? '');
  if (msg === 'peer-lost' || msg === 'link-down')
    return `${msg}${j.link !== undefined ? ` (link ${String(j.link)})` : ''}`;
  if (j.module === 'executor' && (msg === 'action done' || msg === 'action not done'))
    return `${String(j.action)} ${j.status === 'ok' ? 'done' : String(j.status)} (${String(j.durationMs)} ms)`;
  if (typeof j.reason === 'string' && Array.isArray(j.plan))
    return `decision ${j.reason}${j.plan.length ? `: ${j.plan.join(' > ')}` : ''}`;
  return null;
}

const packageRoot = () => resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs the demo; resolves to the process exit code. */
export async function runDemo(options: DemoOptions): Promise<number> {
  const out = options.out;
  const root = packageRoot();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'drbd-sentinel-demo-'));
  const base = 20_000 + (process.pid % 20_000);
  const timeline: TimelineEntry[] = [];
  let recording = false;
  const logTail: string[] = [];
  const pair = new LocalPair({
    dir,
    hosts: loopbackHosts(),
    cliPath: join(root, 'dist', 'cli.js'),
    simScripts: join(root, 'scripts', 'sim'),
    heartbeatPort: base,
    replicationPort: base + 1,
    onLine: (node, proc, line) => {
      logTail.push(`${node} ${proc}: ${line}`);
      if (logTail.length > 60) logTail.shift();
      if (!recording || proc !== 'daemon') return;
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        const label = timelineLabel(j);
        if (label !== null) timeline.push({ atMs: Date.parse(String(j.time)), node, what: label });
      } catch {
        // not a log line
      }
    },
  });
  const step = (text: string) => out(`\n== ${text}`);
  const show = (s: StatusSnapshot | null) => out(s === null ? '(no answer)' : renderStatus(s).trimEnd());

  try {
    step(`two nodes on this machine, working directory ${dir}`);
    pair.prepare();
    out(
      'alpha: heartbeats on 127.0.0.2 and 127.0.1.2; bravo: on 127.0.0.3 and 127.0.1.3; DRBD replication over TCP on link 0',
    );
    pair.startDrbd(0);
    pair.startDrbd(1);
    pair.startDaemon(0);
    pair.startDaemon(1);
    const [a0, b0] = await pair.waitFor(
      'one node serves r0, the other is its UpToDate Secondary',
      (a, b) =>
        (servesResource(a) && resourceOf(b)?.disk === 'UpToDate' && resourceOf(b)?.role === 'Secondary') ||
        (servesResource(b) && resourceOf(a)?.disk === 'UpToDate' && resourceOf(a)?.role === 'Secondary'),
      60_000,
    );
    const primary = servesResource(a0) ? 0 : 1;
    const survivor = (1 - primary) as 0 | 1;
    const [pName, sName] = [pair.nodeName(primary), pair.nodeName(survivor)];
    out(`both daemons up and in sync; they elected ${pName} Primary`);
    show(primary === 0 ? a0 : b0);

    step(`an application writes 200 blocks on ${pName}`);
    const acked = new Set<string>();
    const write = async (i: 0 | 1, count: number) => {
      const r = await pair.cli(i, ['sim', 'write', '--dir', pair.paths[i].simDir, '--count', String(count)]);
      const lines = r.status === 'ok' || r.status === 'failed' ? r.stdout.split('\n') : [];
      let n = 0;
      for (const l of lines)
        if (l.startsWith('acked ')) {
          acked.add(l.slice(6));
          n += 1;
        }
      return n;
    };
    out(`${await write(primary, 200)} writes acknowledged (protocol C: on both disks)`);

    step(`power loss on ${pName}: its daemon and its DRBD are killed at once`);
    recording = true;
    const t0 = Date.now();
    pair.powerOff(primary);
    const [sa, sb] = await pair.waitFor(
      `${sName} serves r0`,
      (a, b) => servesResource(survivor === 0 ? a : b),
      90_000,
    );
    const failoverMs = Date.now() - t0;
    recording = false;
    out(
      `${sName} took over ${failoverMs} ms after the power loss. Timeline on ${sName} (ms after the power loss):`,
    );
    for (const e of timeline.filter((x) => x.node === sName))
      out(`  +${String(Math.max(0, e.atMs - t0)).padStart(5)}  ${e.what}`);
    show(survivor === 0 ? sa : sb);

    step(`the application goes on writing on ${sName}`);
    out(`${await write(survivor, 100)} writes acknowledged (on ${sName} alone: ${pName} is down)`);

    step(`${pName} is powered on again: it rejoins as Secondary and resyncs`);
    pair.startDrbd(primary);
    pair.startDaemon(primary);
    const t1 = Date.now();
    const back = await pair.waitFor(
      `${pName} Secondary, UpToDate and Connected`,
      (a, b) => {
        const r = resourceOf(primary === 0 ? a : b);
        return (
          r?.role === 'Secondary' &&
          r.disk === 'UpToDate' &&
          r.cstate === 'Connected' &&
          servesResource(survivor === 0 ? a : b)
        );
      },
      90_000,
    );
    out(`${pName} is back in sync after ${Date.now() - t1} ms`);
    show(back[primary]);

    step(`planned switchover back to ${pName}: drbd-sentinel switchover r0 --to ${pName}`);
    const t2 = Date.now();
    const sw = await pair.cli(survivor, [
      '-c',
      pair.paths[survivor].config,
      'switchover',
      'r0',
      '--to',
      pName,
    ]);
    const swOut =
      sw.status === 'ok' || sw.status === 'failed' ? `${sw.stdout}${sw.stderr}`.trimEnd() : sw.status;
    out(swOut);
    await pair.waitFor(`${pName} serves r0`, (a, b) => servesResource(primary === 0 ? a : b), 90_000);
    const switchoverMs = Date.now() - t2;

    step('checking the data');
    const hist = await pair.cli(primary, ['sim', 'history', '--dir', pair.paths[primary].simDir]);
    const held = new Set(
      hist.status === 'ok' ? (JSON.parse(hist.stdout) as { held: string[] }).held : ([] as string[]),
    );
    const lost = [...acked].filter((id) => !held.has(id));
    out(
      `${acked.size} writes were acknowledged; ${pName} now serves ${held.size} blocks; lost: ${lost.length}`,
    );

    step('summary');
    out(
      `failover after power loss: ${failoverMs} ms; planned switchover: ${switchoverMs} ms; acknowledged writes lost: ${lost.length}`,
    );
    if (lost.length > 0) return 1;
    if (options.keep) {
      out(`\nThe pair keeps running (--keep). Try:`);
      for (const i of [0, 1] as const) out(`  node ${root}/dist/cli.js -c ${pair.paths[i].config} status`);
      out(`  node ${root}/dist/cli.js -c ${pair.paths[survivor].config} switchover r0 --to ${sName}`);
      out(`Stop it with: pkill -f ${dir}`);
      return 0;
    }
    return 0;
  } catch (e) {
    out(`\ndemo failed: ${e instanceof Error ? e.message : String(e)}`);
    out('last log lines:');
    for (const l of logTail.slice(-30)) out(`  ${l}`);
    return 1;
  } finally {
    if (!options.keep) await pair.stopAll();
    else await sleep(0);
  }
}
