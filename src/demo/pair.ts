/**
 * A two-node drbd-sentinel pair on one machine: per node a simulated DRBD node (`sim node`) and a
 * daemon (`run`), each with its own directory, configuration and control socket. Used by `demo` (both
 * nodes on loopback addresses, no root) and by the netns tests (one network namespace per node).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmodSync, createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, type CommandOutcome } from '../common/exec.js';
import { controlRequest } from '../control/index.js';
import type { StatusSnapshot } from '../control/index.js';
import { LineSplitter, pushLines } from '../common/line-splitter.js';

/** Where a node's processes run: this machine, or a network namespace. */
export interface PairHost {
  readonly name: string;
  /** This node's address on each heartbeat link; link 0 also carries replication. */
  readonly addresses: readonly string[];
  spawn(argv: readonly string[], options: SpawnOptions): ChildProcess;
}

export interface PairOptions {
  /** Working directory of the pair (configs, sim state, sockets, logs). */
  readonly dir: string;
  readonly hosts: readonly [PairHost, PairHost];
  /** The package's dist/cli.js and the scripts/sim folder beside it. */
  readonly cliPath: string;
  readonly simScripts: string;
  readonly heartbeatPort: number;
  readonly replicationPort: number;
  readonly fencing?: 'stonith' | 'resource-only' | 'none';
  /**
   * DRBD's own `fencing` of the simulated resource (default resource-and-stonith, which the stonith policy
   * needs; resource-only reproduces a misconfigured pair).
   */
  readonly drbdFencing?: 'resource-and-stonith' | 'resource-only';
  /** Explicit timings, or a named profile (`heartbeat.profile`, docs/membership.md) with its initdead. */
  readonly heartbeat?:
    | {
        readonly interval: string;
        readonly deadtime: string;
        readonly warntime: string;
        readonly initdead: string;
      }
    | { readonly profile: 'default' | 'fast'; readonly initdead: string };
  readonly fenceDelay?: string;
  /** `control.metrics` of both daemons (`HOST:PORT`, each inside its own namespace); none when absent. */
  readonly metrics?: string;
  /** `cluster.name` of both daemons (default `demo-pair`): pairs sharing one arbiter prefix need their own. */
  readonly clusterName?: string;
  /** `arbiter:` of both daemons (docs/arbiter.md); none when absent. Durations as in the config. */
  readonly arbiter?: {
    readonly endpoints: readonly string[];
    readonly prefix?: string;
    readonly leaseTtl?: string;
    readonly timeout?: string;
    readonly takeoverMargin?: string;
    readonly onIsolation?: 'demote' | 'reboot';
  };
  /**
   * Replaces the STONITH handler (default: `fence-poweroff <peer's pid file>`, timeout 10s), e.g. a
   * failing or hanging one in tests. `{peerPidFile}` in the command is replaced by the peer's pid file.
   */
  readonly fenceHandler?: { readonly command: readonly string[]; readonly timeout: string };
  /** Called with every log line of every process (pino JSON for daemons). */
  readonly onLine?: (node: string, process: 'daemon' | 'drbd', line: string) => void;
}

export interface NodePaths {
  readonly root: string;
  readonly config: string;
  readonly simDir: string;
  readonly stateDir: string;
  readonly socket: string;
  readonly mountPoint: string;
  readonly pidFile: string;
  readonly notifyLog: string;
}

/** Each process's output goes to `<node dir>/daemon.log` and `<node dir>/drbd.log` as well. */

/** The resource every pair serves, as in the classic guide. */
export const PAIR_RESOURCE = 'r0';

/**
 * The STONITH handler of a simulated node as a shell script: `NAME PIDFILE` SIGKILLs the processes in
 * PIDFILE and succeeds once none of them runs. `before` (shell lines) runs first, e.g. a test's trace or
 * an injected failure that exits before anything is killed.
 */
export function fencePowerOffScript(name: string, before = ''): string {
  return `#!/bin/sh
# ${name} PIDFILE: powers a simulated node off; succeeds once none of its processes runs.
${before}pids=$(cat "$1" 2>/dev/null)
for p in $pids; do kill -9 "$p" 2>/dev/null; done
for p in $pids; do
  i=0
  while kill -0 "$p" 2>/dev/null; do i=$((i+1)); [ $i -gt 50 ] && exit 1; sleep 0.1; done
done
echo "powered off: $pids"
exit 0
`;
}

export class LocalPair {
  private readonly procs = new Map<string, ChildProcess>();
  readonly paths: readonly [NodePaths, NodePaths];

  constructor(private readonly options: PairOptions) {
    this.paths = [this.layout(0), this.layout(1)];
  }

  /** Node index by name. */
  indexOf(name: string): 0 | 1 {
    return this.options.hosts[0].name === name ? 0 : 1;
  }

  nodeName(i: 0 | 1): string {
    return this.options.hosts[i].name;
  }

  private layout(i: 0 | 1): NodePaths {
    const root = join(this.options.dir, this.options.hosts[i].name);
    return {
      root,
      config: join(root, 'config.yaml'),
      simDir: join(root, 'drbd'),
      stateDir: join(root, 'state'),
      socket: join(root, 'control.sock'),
      mountPoint: join(root, 'mnt'),
      pidFile: join(root, 'pids'),
      notifyLog: join(root, 'notify.jsonl'),
    };
  }

  /** Writes the shared secret, both configurations and the helper scripts. */
  prepare(): void {
    const dir = this.options.dir;
    mkdirSync(dir, { recursive: true });
    const secret = join(dir, 'secret');
    writeFileSync(secret, `demo-secret-${Math.random().toString(36).slice(2)}-${Date.now()}\n`, {
      mode: 0o600,
    });
    chmodSync(secret, 0o600);

    // STONITH for simulated nodes: power the peer off (SIGKILL its daemon and DRBD) and confirm it is off.
    const fence = join(dir, 'fence-poweroff');
    writeFileSync(fence, fencePowerOffScript('fence-poweroff'), { mode: 0o755 });
    // A notify hook that appends each event's JSON payload to a file (the demo's pager).
    const notify = join(dir, 'notify-append');
    writeFileSync(notify, `#!/bin/sh\n{ cat; echo; } >> "$1"\n`, { mode: 0o755 });

    for (const i of [0, 1] as const) {
      const p = this.paths[i];
      for (const d of [p.root, p.simDir, p.stateDir, p.mountPoint])
        mkdirSync(d, { recursive: true, mode: 0o700 });
      writeFileSync(p.config, this.configText(i, secret, fence, notify));
    }
  }

  private configText(i: 0 | 1, secret: string, fence: string, notify: string): string {
    const o = this.options;
    const [a, b] = o.hosts;
    const p = this.paths[i];
    const peer = this.paths[1 - i] as NodePaths;
    const hb = o.heartbeat ?? { interval: '100ms', deadtime: '1s', warntime: '500ms', initdead: '10s' };
    const q = (s: string) => JSON.stringify(s);
    const list = (xs: readonly string[]) => `[${xs.map(q).join(', ')}]`;
    const s = o.simScripts;
    const handler = o.fenceHandler ?? { command: [fence, '{peerPidFile}'], timeout: '10s' };
    const arb = o.arbiter;
    const arbiter =
      arb === undefined
        ? ''
        : `arbiter:
  etcd: { endpoints: ${list(arb.endpoints)}, prefix: ${q(arb.prefix ?? '/drbd-sentinel')}, lease-ttl: ${arb.leaseTtl ?? '10s'}, timeout: ${arb.timeout ?? '1s'} }
  takeover-margin: ${arb.takeoverMargin ?? '2s'}
  on-isolation: ${arb.onIsolation ?? 'demote'}
`;
    return `# drbd-sentinel configuration of ${o.hosts[i].name} (generated by the local pair launcher)
cluster: { name: ${q(o.clusterName ?? 'demo-pair')}, secret-file: ${q(secret)} }
nodes:
  - { name: ${q(a.name)}, addresses: ${list(a.addresses)} }
  - { name: ${q(b.name)}, addresses: ${list(b.addresses)} }
heartbeat:
  port: ${o.heartbeatPort}
${'profile' in hb ? `  profile: ${hb.profile}` : `  interval: ${hb.interval}\n  deadtime: ${hb.deadtime}\n  warntime: ${hb.warntime}`}
  initdead: ${hb.initdead}
  degraded-initdead: ${hb.initdead}
resources:
  - name: ${PAIR_RESOURCE}
    device: /dev/drbd1
    mount: { point: ${q(p.mountPoint)}, fstype: ext4, options: [] }
    services: []
    addresses: []
    timeouts: { promote: 30s, demote: 30s, mount: 30s, umount: 30s, services: 30s }
    on-busy-umount: kill
fencing:
  policy: ${o.fencing ?? 'stonith'}
  accept-risk: ${o.fencing === 'none' ? 'true' : 'false'}
  delay: ${o.fenceDelay ?? '1s'}
  handlers:
    - { name: poweroff, command: ${list(handler.command.map((c) => c.replace('{peerPidFile}', peer.pidFile)))}, timeout: ${handler.timeout} }
notify:
  - { events: [all], command: [${q(notify)}, ${q(p.notifyLog)}], timeout: 5s }
schedule: { verify: null, reminders: null }
control: { socket: ${q(p.socket)}, metrics: ${o.metrics ?? 'null'} }
drbd: { drbdadm: ${q(join(s, 'drbdadm'))}, drbdsetup: ${q(join(s, 'drbdsetup'))}, proc: ${q(join(p.simDir, 'proc-drbd'))}, poll-interval: 500ms }
commands:
  mount: ${q(join(s, 'mount'))}
  umount: ${q(join(s, 'umount'))}
  fuser: ${q(join(s, 'fuser'))}
  mounts-file: ${q(join(p.simDir, 'mounts'))}
state-dir: ${q(p.stateDir)}
log: { level: info }
${arbiter}`;
  }

  private env(i: 0 | 1): NodeJS.ProcessEnv {
    return { ...process.env, DRBD_SIM_DIR: this.paths[i].simDir };
  }

  private launch(i: 0 | 1, kind: 'daemon' | 'drbd', argv: readonly string[]): ChildProcess {
    const host = this.options.hosts[i];
    const child = host.spawn(argv, { env: this.env(i), stdio: ['ignore', 'pipe', 'pipe'] });
    const key = `${host.name}:${kind}`;
    this.procs.set(key, child);
    const lines = new LineSplitter();
    const log = createWriteStream(join(this.paths[i].root, `${kind}.log`), { flags: 'a' });
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      for (const line of pushLines(lines, chunk)) this.options.onLine?.(host.name, kind, line);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', () => {
      log.end();
      if (this.procs.get(key) === child) this.procs.delete(key);
      this.writePids(i);
    });
    this.writePids(i);
    return child;
  }

  private writePids(i: 0 | 1): void {
    const name = this.options.hosts[i].name;
    const pids = ['daemon', 'drbd']
      .map((k) => this.procs.get(`${name}:${k}`)?.pid)
      .filter((p): p is number => p !== undefined);
    writeFileSync(this.paths[i].pidFile, `${pids.join(' ')}\n`);
  }

  /** Starts the node's simulated DRBD (`sim node`); `init` only matters the first time. */
  startDrbd(i: 0 | 1, init: 'uptodate' | 'new' = 'uptodate'): ChildProcess {
    const o = this.options;
    const [self, peer] = [o.hosts[i], o.hosts[1 - i] as PairHost];
    const fencePeer = `${process.execPath} ${o.cliPath} fence-peer -c ${this.paths[i].config}`;
    // A machine that boots has no /proc/drbd yet: the file a powered-off node left would show its old
    // role (Primary) until the new simulator writes its own.
    rmSync(join(this.paths[i].simDir, 'proc-drbd'), { force: true });
    return this.launch(i, 'drbd', [
      process.execPath,
      o.cliPath,
      'sim',
      'node',
      '--dir',
      this.paths[i].simDir,
      '--name',
      self.name,
      '--peer-name',
      peer.name,
      '--resource',
      PAIR_RESOURCE,
      '--minor',
      '1',
      '--listen',
      `${self.addresses[0]}:${o.replicationPort}`,
      '--peer',
      `${peer.addresses[0]}:${o.replicationPort}`,
      '--fencing',
      o.drbdFencing ?? 'resource-and-stonith',
      '--fence-peer-handler',
      fencePeer,
      '--init',
      init,
      '--ping-int-ms',
      '500',
      '--ping-timeout-ms',
      '500',
      '--connect-int-ms',
      '500',
      '--size-kib',
      '65536',
    ]);
  }

  /** Starts the node's drbd-sentinel daemon. */
  startDaemon(i: 0 | 1): ChildProcess {
    const o = this.options;
    return this.launch(i, 'daemon', [
      process.execPath,
      o.cliPath,
      'run',
      '-c',
      this.paths[i].config,
      '--node',
      o.hosts[i].name,
    ]);
  }

  /** Sends `signal` to one of the node's processes (SIGKILL: a crash; SIGSTOP/SIGCONT: a freeze). */
  signal(i: 0 | 1, kind: 'daemon' | 'drbd', signal: NodeJS.Signals): boolean {
    const child = this.procs.get(`${this.options.hosts[i].name}:${kind}`);
    return child?.kill(signal) ?? false;
  }

  running(i: 0 | 1, kind: 'daemon' | 'drbd'): boolean {
    return this.procs.has(`${this.options.hosts[i].name}:${kind}`);
  }

  /** Power loss of a node: its daemon and its DRBD die at once. */
  powerOff(i: 0 | 1): void {
    this.signal(i, 'daemon', 'SIGKILL');
    this.signal(i, 'drbd', 'SIGKILL');
  }

  /** Waits until the node's process of `kind` has exited. */
  async exited(i: 0 | 1, kind: 'daemon' | 'drbd', timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.running(i, kind)) {
      if (Date.now() > until) throw new Error(`${this.nodeName(i)} ${kind} did not exit`);
      await sleep(50);
    }
  }

  /** `status` of a node's daemon, or null when it does not answer. */
  async status(i: 0 | 1): Promise<StatusSnapshot | null> {
    const r = await controlRequest(this.paths[i].socket, { op: 'status' }, { timeoutMs: 2_000 });
    return r.ok ? (r.value as StatusSnapshot) : null;
  }

  /** Runs a `drbd-sentinel` command line against node `i` (its config and simulated DRBD). */
  cli(i: 0 | 1, args: readonly string[], timeoutMs = 120_000): Promise<CommandOutcome> {
    return runCommand([process.execPath, this.options.cliPath, ...args], {
      timeoutMs,
      env: { DRBD_SIM_DIR: this.paths[i].simDir },
    });
  }

  /** Polls both nodes' status until `predicate` holds; returns the statuses, or throws after `timeoutMs`. */
  async waitFor(
    what: string,
    predicate: (a: StatusSnapshot | null, b: StatusSnapshot | null) => boolean,
    timeoutMs: number,
  ): Promise<readonly [StatusSnapshot | null, StatusSnapshot | null]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const s = [await this.status(0), await this.status(1)] as const;
      if (predicate(s[0], s[1])) return s;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
      await sleep(200);
    }
  }

  /**
   * Prepares the pair, starts both nodes' DRBD and daemons, and waits until one serves r0 with the other's
   * disk UpToDate; returns the index of the one that serves.
   */
  async startServing(timeoutMs = 90_000): Promise<0 | 1> {
    this.prepare();
    for (const i of [0, 1] as const) this.startDrbd(i);
    for (const i of [0, 1] as const) this.startDaemon(i);
    const [a] = await this.waitFor(
      'steady pair',
      (x, y) =>
        (servesResource(x) && resourceOf(y)?.disk === 'UpToDate') ||
        (servesResource(y) && resourceOf(x)?.disk === 'UpToDate'),
      timeoutMs,
    );
    return servesResource(a) ? 0 : 1;
  }

  /** Stops every process of the pair (SIGTERM, then SIGKILL). */
  async stopAll(): Promise<void> {
    for (const child of this.procs.values()) child.kill('SIGTERM');
    const until = Date.now() + 5_000;
    while (this.procs.size > 0 && Date.now() < until) await sleep(50);
    for (const child of this.procs.values()) child.kill('SIGKILL');
    while (this.procs.size > 0) await sleep(20);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether a status shows the resource Primary, UpToDate and mounted on its node. */
export function servesResource(s: StatusSnapshot | null): boolean {
  const r = s?.resources.find((x) => x.name === PAIR_RESOURCE);
  return r !== undefined && r.role === 'Primary' && r.disk === 'UpToDate' && r.mounted;
}

/** The resource's status on a node, or null. */
export function resourceOf(s: StatusSnapshot | null) {
  return s?.resources.find((x) => x.name === PAIR_RESOURCE) ?? null;
}

/** The demo's and the benchmarks' pair on this machine: two heartbeat links per node on loopback. */
export function loopbackHosts(): readonly [PairHost, PairHost] {
  return [localHost('alpha', ['127.0.0.2', '127.0.1.2']), localHost('bravo', ['127.0.0.3', '127.0.1.3'])];
}

/** Spawns on this machine. */
export function localHost(name: string, addresses: readonly string[]): PairHost {
  return {
    name,
    addresses,
    spawn: (argv, options) => spawn(argv[0] as string, argv.slice(1), options),
  };
}
