import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabNode } from '../scenarios/target.js';
import { sleep, type ChannelResult } from './command-channel.js';
import { keyValueLines } from './key-value-lines.js';
import { QemuVm } from './qemu-vm.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const LAB_NODES: readonly LabNode[] = ['alpha', 'bravo'];
/** Guest sh: the DRBD backing disk under /dev/mapper/lower ($dev) and its size in sectors ($n). */
const LOWER_SIZE = 'dev=$(cat /run/lab-lower); n=$(cat /sys/block/${dev#/dev/}/size)';
const LAB_DIR = path.join(PROJECT_ROOT, '.lab');

/** Quotes argv for the guest's sh. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Checks the host can run the lab and builds (or reuses) the guest kernel and initramfs.
 * Throws with a message naming what is missing: the lab tier fails, it never skips.
 */
export async function buildLab(image: 'busybox' | 'systemd' = 'busybox'): Promise<{
  kernel: string;
  initrd: string;
  rootImage: string | null;
}> {
  const missing: string[] = [];
  for (const [tool, pkg] of [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['busybox', 'busybox-static'],
    ['cpio', 'cpio'],
    ['zstd', 'zstd'],
    ['depmod', 'kmod'],
    ['dmsetup', 'dmsetup'],
    ['mke2fs', 'e2fsprogs'],
  ] as const) {
    if (spawnSync('sh', ['-c', `command -v ${tool} || test -x /sbin/${tool}`]).status !== 0)
      missing.push(`${tool} (package ${pkg})`);
  }
  if (!existsSync('/lib/drbd/drbdsetup-84')) missing.push('/lib/drbd/drbdsetup-84 (package drbd-utils)');
  if (missing.length > 0)
    throw new Error(`lab: missing on this host: ${missing.join(', ')}; run: bash scripts/install-deps.sh`);
  const tcg = spawnSync('qemu-system-x86_64', ['-accel', 'help'], { encoding: 'utf8' });
  if (!/\btcg\b/.test(tcg.stdout ?? ''))
    throw new Error('lab: qemu-system-x86_64 has no TCG accelerator (needed: -accel tcg)');
  if (image === 'systemd') {
    if (spawnSync('sh', ['-c', 'command -v debootstrap']).status !== 0)
      throw new Error('lab: missing debootstrap (package debootstrap); run: bash scripts/install-deps.sh');
    await runScript('scripts/lab/build-systemd-image.sh');
    const env = readEnv('systemd.env');
    if (!env.LAB_KERNEL || !env.LAB_SYSTEMD_INITRD || !env.LAB_SYSTEMD_IMAGE)
      throw new Error('lab: .lab/cache/systemd.env is incomplete');
    return { kernel: env.LAB_KERNEL, initrd: env.LAB_SYSTEMD_INITRD, rootImage: env.LAB_SYSTEMD_IMAGE };
  }
  await runScript('scripts/lab/build-initramfs.sh');
  const env = readEnv('current.env');
  const kernel = env.LAB_KERNEL;
  const initrd = env.LAB_INITRD;
  if (!kernel || !initrd) throw new Error('lab: .lab/cache/current.env names no kernel/initrd');
  return { kernel, initrd, rootImage: null };
}

/** Runs a build script without blocking the event loop (a test runner's RPC must keep flowing). */
export function runScript(script: string, args: readonly string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(PROJECT_ROOT, script), ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`lab: ${script} failed (exit ${code ?? 'signal'})`)),
    );
  });
}

function readEnv(file: string): Record<string, string> {
  return keyValueLines(readFileSync(path.join(LAB_DIR, 'cache', file), 'utf8'));
}

export interface LabOptions {
  /** Share the project read-only at /shared in the guests (for built code). Default true. */
  readonly share?: boolean;
  readonly memoryMiB?: number;
  readonly diskMiB?: number;
  /**
   * `busybox` (default): the initramfs guest. `systemd`: the debootstrapped Debian with systemd as
   * PID 1 (scripts/lab/build-systemd-image.sh), each VM on a copy-on-write overlay.
   */
  readonly image?: 'busybox' | 'systemd';
}

/**
 * The real-DRBD lab: two QEMU VMs (alpha 10.77.0.1, bravo 10.77.0.2) on a private datagram link,
 * each with a 64 MiB disk under DRBD resource r0 (/dev/drbd1, see scripts/lab/guest/drbd.conf).
 * `start` builds and boots; `stop` always kills QEMU and removes sockets, disks and temp files,
 * keeping the console logs under .lab/logs/ when `keepLogs` (a failed test) is set.
 */
export class Lab {
  readonly vms: Record<LabNode, QemuVm>;
  readonly runDir: string;
  private diskFailed = new Set<LabNode>();

  private constructor(runDir: string, vms: Record<LabNode, QemuVm>) {
    this.runDir = runDir;
    this.vms = vms;
  }

  static async start(options: LabOptions = {}): Promise<Lab> {
    const { kernel, initrd, rootImage } = await buildLab(options.image);
    const stamp = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
    const runDir = path.join(LAB_DIR, 'run', stamp);
    // Random port pair so concurrent labs (other checkouts) never share a link.
    const base = 40000 + Math.floor(Math.random() * 10000) * 2;
    const common = {
      kernel,
      initrd,
      diskMiB: options.diskMiB ?? 64,
      memoryMiB: options.memoryMiB ?? (rootImage ? 768 : 512),
      rootImage,
      share: options.share === false ? null : PROJECT_ROOT,
    };
    const vms: Record<LabNode, QemuVm> = {
      alpha: new QemuVm({
        ...common,
        name: 'alpha',
        ip: '10.77.0.1',
        mac: '52:54:00:77:00:01',
        dir: path.join(runDir, 'alpha'),
        localPort: base,
        remotePort: base + 1,
      }),
      bravo: new QemuVm({
        ...common,
        name: 'bravo',
        ip: '10.77.0.2',
        mac: '52:54:00:77:00:02',
        dir: path.join(runDir, 'bravo'),
        localPort: base + 1,
        remotePort: base,
      }),
    };
    const lab = new Lab(runDir, vms);
    try {
      await Promise.all(LAB_NODES.map((n) => vms[n].boot()));
    } catch (e) {
      await lab.stop({ keepLogs: true });
      throw e;
    }
    return lab;
  }

  vm(node: LabNode): QemuVm {
    return this.vms[node];
  }

  /** Runs a sh script on a node. */
  sh(node: LabNode, script: string, timeoutS = 30): Promise<ChannelResult> {
    return this.vms[node].sh(script, timeoutS);
  }

  /** Like `sh`, but a non-zero exit or timeout is an error (for setup steps, not for observations). */
  async must(node: LabNode, script: string, timeoutS = 60): Promise<string> {
    const r = await this.sh(node, script, timeoutS);
    if (r.exitCode !== 0 || r.timedOut)
      throw new Error(
        `lab: on ${node}: '${script}' failed (rc ${r.exitCode}${r.timedOut ? ', timed out' : ''}):\n${r.stdout}${r.stderr}`,
      );
    return r.stdout;
  }

  /** `systemctl show -p ...` of a unit in a systemd VM, as a record. */
  async show(node: LabNode, unit: string, props: readonly string[]): Promise<Record<string, string>> {
    return keyValueLines(
      await this.must(node, `systemctl show ${unit} ${props.map((p) => `-p ${p}`).join(' ')}`),
    );
  }

  procDrbd(node: LabNode): Promise<string> {
    return this.must(node, 'cat /proc/drbd', 15);
  }

  /** Polls /proc/drbd every 300 ms until `predicate` holds; throws with the last text after `timeoutMs`. */
  async waitFor(node: LabNode, predicate: (proc: string) => boolean, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const r = await this.sh(node, 'cat /proc/drbd', 10);
      last = r.stdout;
      if (!r.timedOut && predicate(last)) return last;
      if (Date.now() > deadline)
        throw new Error(
          `lab: ${node}: /proc/drbd did not reach the awaited state in ${timeoutMs} ms:\n${last}`,
        );
      await sleep(300);
    }
  }

  async cutLink(): Promise<void> {
    await Promise.all(LAB_NODES.map((n) => this.vms[n].setLink(false)));
  }
  async restoreLink(): Promise<void> {
    await Promise.all(LAB_NODES.map((n) => this.vms[n].setLink(true)));
  }

  /**
   * Makes a node's backing disk fail: the device-mapper map under DRBD (/dev/mapper/lower) gets an
   * "error" table, so every further I/O returns EIO and DRBD (on-io-error detach) goes Diskless.
   */
  async failDisk(node: LabNode): Promise<void> {
    await this.must(
      node,
      `${LOWER_SIZE}; dmsetup suspend --noflush lower && dmsetup load lower --table "0 $n error" && dmsetup resume lower`,
    );
    this.diskFailed.add(node);
  }

  /** Puts the linear map back (DRBD stays Diskless until `drbdadm attach`/reset). */
  async repairDisk(node: LabNode): Promise<void> {
    await this.must(
      node,
      `${LOWER_SIZE}; dmsetup suspend --noflush lower && dmsetup load lower --table "0 $n linear $dev 0" && dmsetup resume lower`,
    );
    this.diskFailed.delete(node);
  }

  /**
   * Per-test reset without a full resync (~3 s): undoes every fault (thaw, link up, power on,
   * disk repaired), then on both `down; create-md --force; up`, and on alpha a new current UUID with
   * a cleared bitmap (both sides UpToDate at once), primary, and a fresh ext4 on /dev/drbd1.
   */
  async resetDrbd(): Promise<void> {
    for (const n of LAB_NODES) {
      const vm = this.vms[n];
      if (!vm.running) await vm.boot();
      else await vm.thaw().catch(() => undefined);
      await vm.setLink(true);
    }
    for (const n of LAB_NODES) if (this.diskFailed.has(n)) await this.repairDisk(n);
    // Both nodes are down before either comes up with fresh metadata: a node brought up while its peer
    // still ran the old generation connected to it, began a resync and dropped to StandAlone
    // Inconsistent (seen once in CI after the both-power-loss scenario).
    await Promise.all(
      LAB_NODES.map((n) =>
        this.must(
          n,
          [
            'for f in /tmp/events2.pid /tmp/views.pid; do [ -f $f ] && kill $(cat $f) 2>/dev/null; rm -f $f; done',
            'umount /mnt/r0 2>/dev/null; set -e',
            'drbdadm down r0 >/dev/null 2>&1 || { sleep 2; drbdadm down r0; }',
          ].join('\n'),
          90,
        ),
      ),
    );
    await Promise.all(
      LAB_NODES.map((n) =>
        this.must(
          n,
          [
            'set -e',
            'drbdadm create-md --force r0 >/dev/null 2>&1 </dev/null',
            'drbdadm up r0',
            'dmesg -c >/dev/null',
          ].join('\n'),
          90,
        ),
      ),
    );
    await Promise.all(LAB_NODES.map((n) => this.waitFor(n, (p) => /cs:Connected/.test(p), 60_000)));
    await this.must('alpha', 'drbdadm -- --clear-bitmap new-current-uuid r0');
    await Promise.all(LAB_NODES.map((n) => this.waitFor(n, (p) => /ds:UpToDate\/UpToDate/.test(p), 60_000)));
    // The cleared bitmap lives in memory only: a down/up cycle writes it out, so a later power loss
    // does not find the whole device marked out-of-sync on disk (full resync instead of the AL).
    await Promise.all(LAB_NODES.map((n) => this.must(n, 'set -e; drbdadm down r0; drbdadm up r0', 90)));
    await Promise.all(LAB_NODES.map((n) => this.waitFor(n, (p) => /cs:Connected/.test(p), 60_000)));
    await this.must('alpha', 'drbdadm primary r0');
    await Promise.all(LAB_NODES.map((n) => this.waitFor(n, (p) => /ds:UpToDate\/UpToDate/.test(p), 60_000)));
    await this.must('alpha', 'mkfs.ext4 -q -F /dev/drbd1 && dmesg -c >/dev/null', 120);
    await this.must('bravo', 'dmesg -c >/dev/null');
  }

  /** Kills both VMs and removes the run folder; with `keepLogs`, copies console logs to .lab/logs/. */
  async stop(options: { keepLogs?: boolean } = {}): Promise<void> {
    await Promise.all(LAB_NODES.map((n) => this.vms[n].powerKill().catch(() => undefined)));
    if (options.keepLogs) {
      const dest = path.join(LAB_DIR, 'logs', path.basename(this.runDir));
      mkdirSync(dest, { recursive: true });
      for (const n of LAB_NODES) {
        const src = this.vms[n].consolePath;
        if (existsSync(src)) cpSync(src, path.join(dest, `${n}-console.log`));
      }
      console.error(`lab: console logs kept in ${dest}`);
    }
    rmSync(this.runDir, { recursive: true, force: true });
  }
}
