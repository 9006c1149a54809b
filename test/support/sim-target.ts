/**
 * The simulator as a ScenarioTarget: the lab's capture scenarios run unchanged against a SimCluster
 * on a virtual clock. Commands run through the simulated drbdadm/drbdsetup; the few shell commands
 * the scenarios use (mount, umount, dd, echo >file, cat, sync, sleep, for-loops, `(cmd &)`) are
 * interpreted against the simulated device. Time is virtual: waits advance the clock.
 */
import { SimCluster, type SimClusterOptions } from '../../src/sim/cluster.js';
import type { SimCommandResult } from '../../src/sim/types.js';
import { renderEvents2Line } from '../../src/sim/events2-format.js';
import type { CaptureExtras } from '../scenarios/scenario.js';
import type { CommandCapture, Fault, LabNode, ScenarioTarget } from '../scenarios/target.js';

/**
 * The lab's DRBD configuration (scripts/lab/guest/drbd.conf): 64 MiB disks, resync-rate 8M,
 * ping-int 2 / ping-timeout 0.5 s / timeout 1 s / connect-int 2, verify-alg crc32c, al-extents 7.
 */
export const LAB_LIKE_CONFIG: NonNullable<SimClusterOptions['config']> = {
  sizeKiB: 65496,
  resyncRateKiBps: 8192,
  pingIntMs: 2000,
  pingTimeoutMs: 500,
  timeoutMs: 1000,
  connectIntMs: 2000,
  verifyAlg: 'crc32c',
  verifyRateKiBps: 8192,
  alExtents: 7,
};

/** The lab's first configuration (before verify-alg and al-extents 7 were added to drbd.conf). */
export const LAB_FIRST_CONFIG: NonNullable<SimClusterOptions['config']> = {
  ...LAB_LIKE_CONFIG,
  verifyAlg: null,
  alExtents: 1237,
};

/** `/etc/drbd-slow.conf` of the lab: ping-int 15, ping-timeout 5, timeout 60, connect-int 10. */
const SLOW_TIMINGS = { pingIntMs: 15_000, pingTimeoutMs: 500, timeoutMs: 6000, connectIntMs: 10_000 };
/**
 * `/etc/drbd-fencing.conf` / `/etc/drbd-stonith.conf` of the lab are drbd.conf plus `fencing
 * resource-only` / `resource-and-stonith` (no handler: the cluster's default fence-peer exit 0).
 */
const NORMAL_TIMINGS = { pingIntMs: 2000, pingTimeoutMs: 500, timeoutMs: 1000, connectIntMs: 2000 };
/** Virtual time between a state change and the next look at /proc/drbd (a console round trip). */
const OBSERVE_SETTLE_MS = 50;

/** Virtual time that passes after each command (a lab command takes ~0.2-0.6 s). */
const RUN_SETTLE_MS = 200;

interface SimFile {
  readonly content: string;
  readonly writeId: string;
}

const STREAM_OPTIONS = { timestamps: true, statistics: true };

export class SimTarget implements ScenarioTarget, CaptureExtras {
  private cluster: SimCluster;
  private readonly files = new Map<string, SimFile>();
  private runs = 0;
  /** events2 streams per node, one segment per boot, while a capture runs. */
  private capture: Record<LabNode, string[][]> | null = null;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly options: { seed?: number; config?: SimClusterOptions['config'] } = {}) {
    this.cluster = this.build();
  }

  /** The cluster behind the target (for assertions beyond the ScenarioTarget interface). */
  get sim(): SimCluster {
    return this.cluster;
  }

  private build(): SimCluster {
    return new SimCluster({
      seed: (this.options.seed ?? 1) + this.runs++,
      config: this.options.config ?? LAB_LIKE_CONFIG,
    });
  }

  /** Starts a `drbdsetup events2 --timestamps --statistics all` stream on both nodes. */
  async beginCapture(): Promise<void> {
    this.capture = { alpha: [], bravo: [] };
    for (const n of ['alpha', 'bravo'] as const) this.startStream(n);
  }

  private startStream(n: LabNode): void {
    if (!this.capture) return;
    const node = this.cluster.node(n);
    const seg = node.existsRecords().map((r) => renderEvents2Line(r, STREAM_OPTIONS));
    this.capture[n].push(seg);
    this.unsubscribe.push(node.subscribe((r) => seg.push(renderEvents2Line(r, STREAM_OPTIONS))));
  }

  async endCapture(): Promise<Record<LabNode, { events2: string[]; kernel: string[] }>> {
    for (const u of this.unsubscribe.splice(0)) u();
    const c = this.capture ?? { alpha: [], bravo: [] };
    this.capture = null;
    const one = (n: LabNode) => ({
      events2: c[n].map((seg) => seg.join('\n')),
      kernel: [...this.cluster.node(n).kernelLog],
    });
    return { alpha: one('alpha'), bravo: one('bravo') };
  }

  async reset(): Promise<void> {
    this.cluster = this.build();
    this.files.clear();
    const c = this.cluster;
    await c.advance(3000);
    const p = await c.exec('alpha', ['drbdadm', 'primary', 'r0']);
    if (p.exitCode !== 0) throw new Error(`sim reset: promote failed: ${p.stderr}`);
    // mkfs.ext4 touches every activity-log extent of the 64 MiB disk.
    const extents = Math.ceil(LAB_LIKE_CONFIG.sizeKiB! / 4096);
    const blocks = Array.from({ length: extents }, (_, i) => i * 1024);
    await c.writeAndSettle('alpha', blocks.length, 10_000, blocks);
  }

  async run(
    node: LabNode,
    argv: readonly string[],
    options?: { timeoutMs?: number },
  ): Promise<CommandCapture> {
    const [cmd, ...rest] = argv;
    const r =
      cmd === 'sh' && rest[0] === '-c'
        ? await this.shell(node, rest[1] ?? '', options?.timeoutMs)
        : await this.simple(node, [...argv], options?.timeoutMs);
    // A real command takes a few hundred ms; the peer hears of its state change meanwhile.
    await this.cluster.advance(RUN_SETTLE_MS);
    return r;
  }

  async fault(fault: Fault): Promise<void> {
    const c = this.cluster;
    switch (fault.kind) {
      case 'cut-link':
        c.cutLink();
        return;
      case 'restore-link':
        c.restoreLink();
        return;
      case 'power-kill':
        c.crash(fault.node);
        return;
      case 'power-on':
        c.powerOn(fault.node, false);
        // The capture's events2 stream is started again after boot (it shows `exists -` first).
        this.startStream(fault.node);
        return;
      case 'fail-disk':
        c.failDisk(fault.node);
        return;
      case 'freeze':
        c.freeze(fault.node);
        return;
      case 'thaw':
        c.thaw(fault.node);
        return;
    }
  }

  async procDrbd(node: LabNode): Promise<string> {
    return this.cluster.procDrbd(node);
  }

  async waitFor(node: LabNode, predicate: (procDrbd: string) => boolean, timeoutMs: number): Promise<void> {
    const deadline = this.cluster.clock.nowMs() + timeoutMs;
    for (;;) {
      if (predicate(this.cluster.procDrbd(node))) {
        await this.cluster.advance(OBSERVE_SETTLE_MS);
        return;
      }
      if (this.cluster.clock.nowMs() >= deadline)
        throw new Error(`timed out after ${timeoutMs} ms (virtual)`);
      await this.cluster.advance(100);
    }
  }

  // ------------------------------------------------------------------ commands

  private async simple(node: LabNode, argv: string[], timeoutMs?: number): Promise<SimCommandResult> {
    const c = this.cluster;
    const [cmd, ...args] = argv;
    switch (cmd) {
      case 'drbdadm':
      case 'drbdsetup': {
        const ci = args.indexOf('-c');
        if (cmd === 'drbdadm' && ci >= 0) {
          const file = args[ci + 1] ?? '';
          const n = c.node(node);
          n.reconfigure(
            file.includes('slow')
              ? { ...SLOW_TIMINGS, fencing: 'dont-care' }
              : {
                  ...NORMAL_TIMINGS,
                  fencing: file.includes('stonith')
                    ? 'resource-and-stonith'
                    : file.includes('fencing')
                      ? 'resource-only'
                      : 'dont-care',
                },
          );
        }
        return c.exec(node, argv, timeoutMs ?? 60_000);
      }
      case 'mount': {
        const dir = args[args.length - 1] ?? '/mnt/r0';
        const dev = args[args.length - 2] ?? '/dev/drbd1';
        if (c.mount(node, dir)) return ok();
        return fail(
          32,
          `mount: ${dir}: cannot mount ${dev} read-only.\n       dmesg(1) may have more information after failed mount system call.\n`,
        );
      }
      case 'umount': {
        const dir = args[args.length - 1] ?? '/mnt/r0';
        return c.umount(node, dir) ? ok() : fail(32, `umount: ${dir}: not mounted.\n`);
      }
      case 'sync':
        return ok();
      case 'sleep':
        await c.advance(Number(args[0] ?? '0') * 1000);
        return ok();
      case 'cat': {
        const path = args[0] ?? '';
        const f = this.files.get(path);
        const n = c.node(node);
        const mounted = [...n.mounts].some((m) => path.startsWith(`${m}/`));
        if (f && mounted && this.serves(node, f.writeId))
          return { stdout: f.content, stderr: '', exitCode: 0 };
        return fail(1, `cat: ${path}: No such file or directory\n`);
      }
      case 'dd':
        return this.dd(node, args, false);
      default:
        return fail(127, `sh: ${cmd ?? ''}: not found\n`);
    }
  }

  /** Whether the data `node` serves holds write `id` (its disk, or the peer's for a diskless Primary). */
  private serves(node: LabNode, id: string): boolean {
    const n = this.cluster.node(node);
    if (n.heldWrites().includes(id)) return true;
    const peer = this.cluster.node(node === 'alpha' ? 'bravo' : 'alpha');
    return n.disk === 'Diskless' && n.linked && peer.heldWrites().includes(id);
  }

  private async dd(node: LabNode, args: string[], background: boolean): Promise<SimCommandResult> {
    const opt = (k: string) => args.find((a) => a.startsWith(`${k}=`))?.slice(k.length + 1);
    const count = Number(opt('count') ?? '1');
    const records = `${count}+0 records in\n${count}+0 records out\n`;
    const n = this.cluster.node(node);
    if (opt('if') === '/dev/drbd1') {
      n.diskIo();
      const readable =
        n.powered &&
        n.up &&
        n.role === 'Primary' &&
        (n.disk === 'UpToDate' || (n.linked && n.peerDisk === 'UpToDate'));
      return readable
        ? { stdout: '', stderr: records, exitCode: 0 }
        : fail(1, "dd: can't open '/dev/drbd1': Wrong medium type\n");
    }
    const seek = Number(opt('seek') ?? '0');
    const blocks = Array.from({ length: count }, (_, i) => seek + i);
    if (background) {
      this.cluster.write(node, count, blocks);
      return ok();
    }
    const w = await this.cluster.writeAndSettle(node, count, 30_000, blocks);
    if (w.refused !== null || w.acked.some((a) => a !== true))
      return fail(1, `dd: error writing '/dev/drbd1': ${w.refused ?? 'Input/output error'}\n`);
    return { stdout: '', stderr: records, exitCode: 0 };
  }

  /** A tiny `sh -c` for the scenarios' scripts. */
  private async shell(node: LabNode, script: string, timeoutMs?: number): Promise<SimCommandResult> {
    const expanded = expandForLoops(script);
    let stdout = '';
    let stderr = '';
    let rc = 0;
    // Split into `;`-separated sequences of `&&`-chains.
    for (const seq of expanded
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)) {
      for (const part of seq.split('&&').map((s) => s.trim())) {
        let r: SimCommandResult;
        const bg = /^\((.*)&\)$/.exec(part);
        const redirToStdout = part.includes('2>&1');
        const quiet = part.includes('2>/dev/null');
        const cleaned = (bg ? (bg[1] ?? '') : part).replace(/\d?>(&1|\/dev\/null)/g, '').trim();
        const echo = /^echo (.*?)\s*>\s*(\S+)$/.exec(cleaned);
        if (echo) r = await this.echoToFile(node, echo[1] ?? '', echo[2] ?? '');
        else {
          const words = cleaned.split(/\s+/).filter((w) => w.length > 0);
          if (words[0] === 'dd' && bg) r = await this.dd(node, words.slice(1), true);
          else r = await this.simple(node, words, timeoutMs);
        }
        if (quiet) r = { ...r, stderr: '' };
        if (redirToStdout) r = { stdout: r.stdout + r.stderr, stderr: '', exitCode: r.exitCode };
        stdout += r.stdout;
        stderr += r.stderr;
        rc = r.exitCode;
        if (rc !== 0) break;
      }
    }
    return { stdout, stderr, exitCode: rc };
  }

  private async echoToFile(node: LabNode, text: string, path: string): Promise<SimCommandResult> {
    const n = this.cluster.node(node);
    if (![...n.mounts].some((m) => path.startsWith(`${m}/`)))
      return fail(1, `sh: can't create ${path}: nonexistent directory\n`);
    const w = await this.cluster.writeAndSettle(node, 1, 30_000, [2048]);
    const id = w.accepted[0]?.id;
    if (!id || w.acked[0] !== true) return fail(1, `sh: write error: Input/output error\n`);
    this.files.set(path, { content: `${text}\n`, writeId: id });
    return ok();
  }
}

function ok(): SimCommandResult {
  return { stdout: '', stderr: '', exitCode: 0 };
}

function fail(exitCode: number, stderr: string): SimCommandResult {
  return { stdout: '', stderr, exitCode };
}

/** Expands `for i in 1 2 3; do CMD; done` with `$((i * N))` arithmetic into `CMD; CMD; CMD`. */
export function expandForLoops(script: string): string {
  return script.replace(
    /for (\w+) in ([\w ]+); do (.*?); done/g,
    (_m, v: string, list: string, body: string) =>
      list
        .trim()
        .split(/\s+/)
        .map((x) =>
          body.replace(/\$\(\((\w+) \* (\d+)\)\)/g, (_a, name: string, k: string) =>
            name === v ? String(Number(x) * Number(k)) : _a,
          ),
        )
        .join('; '),
  );
}
