import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { runCommand, type CommandOutcome } from '../../src/common/exec.js';
import { keyValueLines } from './key-value-lines.js';

/** What a command run inside the container did (stdout/stderr as text, exit code or null). */
export interface ContainerResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A read-only (or writable) bind mount: host path -> path in the container. */
export interface BindMount {
  readonly host: string;
  readonly container: string;
  readonly readOnly: boolean;
}

export interface SystemdContainerSpec {
  /** The Debian tree (scripts/lab/build-systemd-tree.sh); booted with --volatile=overlay, never modified. */
  readonly tree: string;
  readonly hostname: string;
  /** nspawn's machine name, unique per run. */
  readonly machine: string;
  readonly binds: readonly BindMount[];
  /** File that receives systemd-nspawn's output (the container's console). */
  readonly consoleLog: string;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Host tools the systemd tier needs, as "tool (package)"; empty when all are there. */
export function missingHostTools(): string[] {
  const missing: string[] = [];
  for (const [tool, pkg] of [
    ['systemd-nspawn', 'systemd-container'],
    ['debootstrap', 'debootstrap'],
    ['nsenter', 'util-linux'],
  ] as const) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) missing.push(`${tool} (package ${pkg})`);
  }
  return missing;
}

function toResult(o: CommandOutcome): ContainerResult {
  switch (o.status) {
    case 'ok':
      return { code: 0, stdout: o.stdout, stderr: o.stderr };
    case 'failed':
      return { code: o.exitCode, stdout: o.stdout, stderr: o.stderr };
    case 'timeout':
    case 'aborted':
      return { code: null, stdout: o.stdout ?? '', stderr: `${o.status}: ${o.stderr ?? ''}` };
    case 'spawn-error':
      return { code: null, stdout: '', stderr: `spawn error: ${o.message}` };
  }
}

/** Direct children of a host PID (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // the process went away while we looked
    }
  }
  return out;
}

/**
 * A Debian tree booted with systemd as PID 1 in a systemd-nspawn container, driven from the host
 * with `nsenter -t <its PID 1> -a ...` (systemd-nspawn's own machinectl integration needs a
 * systemd host; this host's PID 1 is not systemd, hence --keep-unit --register=no).
 * Private network (only loopback inside), writes go to a tmpfs overlay (--volatile=overlay).
 */
export class SystemdContainer {
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  /** Host PID of the container's systemd (PID 1 inside). */
  private initPid: number | null = null;

  constructor(readonly spec: SystemdContainerSpec) {}

  /** nspawn's argument vector (pure). */
  nspawnArgs(): string[] {
    const s = this.spec;
    return [
      '--keep-unit',
      '--register=no',
      '--private-network',
      '--volatile=overlay',
      '--console=pipe',
      // A unique machine name: nspawn keys its runtime folders by it (default: the tree's name).
      `--machine=${s.machine}`,
      `--hostname=${s.hostname}`,
      ...s.binds.map((b) => `${b.readOnly ? '--bind-ro' : '--bind'}=${b.host}:${b.container}`),
      '-D',
      s.tree,
      '-b',
    ];
  }

  /** Boots the container and waits until its systemd reports `running` (or `degraded`). */
  async boot(timeoutMs = 60_000): Promise<void> {
    const log = openSync(this.spec.consoleLog, 'a');
    const proc = spawn('systemd-nspawn', this.nspawnArgs(), { stdio: ['pipe', log, log] });
    closeSync(log);
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    while (this.initPid === null) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(
          `systemd-nspawn exited early (${proc.exitCode ?? proc.signalCode}): ${this.consoleTail()}`,
        );
      if (Date.now() > deadline)
        throw new Error(`container: no systemd after ${timeoutMs} ms: ${this.consoleTail()}`);
      this.initPid = this.findInit(proc.pid ?? -1);
      if (this.initPid === null) await sleep(100);
    }
    for (;;) {
      const state = await this.exec(['systemctl', 'is-system-running'], 10_000);
      const s = state.stdout.trim();
      if (s === 'running' || s === 'degraded') return;
      if (Date.now() > deadline)
        throw new Error(`container: systemd is "${s}" after ${timeoutMs} ms: ${this.consoleTail()}`);
      await sleep(250);
    }
  }

  /** The container's PID 1 seen from the host: a descendant of nspawn running systemd. */
  private findInit(nspawnPid: number): number | null {
    const queue = [nspawnPid];
    while (queue.length > 0) {
      const pid = queue.shift() as number;
      for (const c of childrenOf(pid)) {
        try {
          const status = readFileSync(`/proc/${c}/status`, 'utf8');
          const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/);
          if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === '1') {
            const comm = readFileSync(`/proc/${c}/comm`, 'utf8').trim();
            if (comm === 'systemd') return c;
          }
        } catch {
          // gone
        }
        queue.push(c);
      }
    }
    return null;
  }

  /** Runs argv inside the container (all its namespaces, its root). Never throws. */
  async exec(argv: readonly string[], timeoutMs = 30_000): Promise<ContainerResult> {
    if (this.initPid === null) return { code: null, stdout: '', stderr: 'container not booted' };
    // A clean environment: the host's (NODE_OPTIONS, certificate paths, ...) means nothing inside.
    const env = [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'LC_ALL=C',
      'SYSTEMD_PAGER=',
      'SYSTEMD_COLORS=0',
    ];
    const o = await runCommand(
      ['nsenter', '-t', String(this.initPid), '-a', '--', 'env', '-i', ...env, ...argv],
      {
        timeoutMs,
      },
    );
    return toResult(o);
  }

  /** `systemctl show -p ...` of a unit as a record. */
  async show(unit: string, props: readonly string[]): Promise<Record<string, string>> {
    const r = await this.exec(['systemctl', 'show', unit, ...props.map((p) => `-p${p}`)]);
    return keyValueLines(r.stdout);
  }

  /** The unit's journal (message text only) since the container booted. */
  async journal(unit: string): Promise<string> {
    const r = await this.exec(['journalctl', '-u', unit, '--no-pager', '-o', 'cat']);
    return r.stdout;
  }

  /** Last lines of the console log, for error messages. */
  consoleTail(lines = 30): string {
    if (!existsSync(this.spec.consoleLog)) return '(no console log)';
    return readFileSync(this.spec.consoleLog, 'utf8').split('\n').slice(-lines).join('\n');
  }

  /**
   * Shuts the container down: SIGTERM to nspawn (it asks the container's systemd to power off),
   * SIGKILL to nspawn and everything left in the container after `graceMs`. Idempotent.
   */
  async stop(graceMs = 20_000): Promise<void> {
    const proc = this.proc;
    if (proc === null) return;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const done = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        // Leftovers: the container's processes are descendants of nspawn.
        const all: number[] = [];
        const queue = [proc.pid ?? -1];
        while (queue.length > 0) {
          const pid = queue.shift() as number;
          for (const c of childrenOf(pid)) {
            all.push(c);
            queue.push(c);
          }
        }
        proc.kill('SIGKILL');
        for (const pid of all) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await this.exited;
      }
    }
    this.proc = null;
    this.initPid = null;
  }
}

/**
 * Kills containers left behind by earlier runs whose test process died without cleaning up (a
 * SIGKILLed vitest): nspawn processes started with `--machine=PREFIX<pid>` where <pid> is gone.
 * Returns the PIDs it signalled.
 */
export async function killOrphanedContainers(machinePrefix: string): Promise<number[]> {
  const orphans: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!(argv[0] ?? '').endsWith('systemd-nspawn')) continue;
    const owner = argv
      .map((a) =>
        a.startsWith(`--machine=${machinePrefix}`) ? a.slice(`--machine=${machinePrefix}`.length) : null,
      )
      .find((x) => x !== null);
    if (owner === undefined || owner === null || !/^\d+$/.test(owner)) continue;
    if (existsSync(`/proc/${owner}`)) continue; // its test is still running
    orphans.push(Number(e));
  }
  for (const pid of orphans) process.kill(pid, 'SIGTERM');
  if (orphans.length > 0) await sleep(3_000);
  for (const pid of orphans) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone after SIGTERM, as it should be
    }
  }
  return orphans;
}

/**
 * Builds (or reuses) the tree with scripts/lab/build-systemd-tree.sh; returns its path. Asynchronous: a
 * first build takes minutes, and a worker blocked that long loses vitest's RPC heartbeat.
 */
export async function buildSystemdTree(projectRoot: string): Promise<string> {
  const r = await runCommand(['bash', path.join(projectRoot, 'scripts/lab/build-systemd-tree.sh')], {
    timeoutMs: 15 * 60_000,
  });
  if (r.status !== 'ok')
    throw new Error(
      `systemd tree build ${r.status}: ${'stderr' in r ? r.stderr.slice(-2000) : 'message' in r ? r.message : ''}`,
    );
  const tree = r.stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(path.join(tree, '.complete')))
    throw new Error(`systemd tree build printed no tree: ${r.stdout}`);
  return tree;
}
