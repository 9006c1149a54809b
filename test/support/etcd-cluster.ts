import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Real etcd members for the arbiter's tests (/usr/bin/etcd of Debian's etcd-server, installed by
// scripts/install-deps.sh): one temp data dir and two free 127.0.0.1 ports per member. The netns tier
// (test/netns/support/netns-etcd.ts) reuses it with `host` set to an address inside a namespace, `exec`
// wrapping the command, and fixed `ports` (a free port cannot be probed from outside the namespace).

export const ETCD_BIN = '/usr/bin/etcd';

/** A free TCP port on `host` (the kernel picks it; a race with another process is unlikely). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
    });
  });
}

interface Member {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  dataDir: string;
  proc: ChildProcess | null;
}

export interface EtcdClusterOptions {
  readonly size?: number;
  readonly host?: string;
  /** Prefix for the command (e.g. ['ip', 'netns', 'exec', 'ns1']). */
  readonly exec?: readonly string[];
  readonly extraArgs?: readonly string[];
  /** Member `i`'s client and peer ports on `host` (default: free ports of this machine's namespace). */
  readonly ports?: (i: number) => { readonly client: number; readonly peer: number };
  /** Appends member `i`'s stderr (its log) to `<logDir>/etcd-m<i>.log` instead of dropping it. */
  readonly logDir?: string;
}

export class EtcdCluster {
  private constructor(
    private readonly members: Member[],
    private readonly opts: EtcdClusterOptions,
    private readonly root: string,
  ) {}

  static async start(opts: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const host = opts.host ?? '127.0.0.1';
    const root = mkdtempSync(join(tmpdir(), 'etcd-test-'));
    const members: Member[] = [];
    for (let i = 0; i < (opts.size ?? 1); i++) {
      const ports = opts.ports?.(i) ?? { client: await freePort(host), peer: await freePort(host) };
      members.push({
        name: `m${i}`,
        clientUrl: `http://${host}:${ports.client}`,
        peerUrl: `http://${host}:${ports.peer}`,
        dataDir: join(root, `m${i}`),
        proc: null,
      });
    }
    const cluster = new EtcdCluster(members, opts, root);
    members.forEach((_, i) => cluster.spawn(i));
    await cluster.waitHealthy();
    return cluster;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  endpoint(i: number): string {
    return (this.members[i] as Member).clientUrl;
  }

  private spawn(i: number, state: 'new' | 'existing' = 'new'): void {
    const m = this.members[i] as Member;
    const initial = this.members.map((x) => `${x.name}=${x.peerUrl}`).join(',');
    const args = [
      ETCD_BIN,
      `--name=${m.name}`,
      `--data-dir=${m.dataDir}`,
      `--listen-client-urls=${m.clientUrl}`,
      `--advertise-client-urls=${m.clientUrl}`,
      `--listen-peer-urls=${m.peerUrl}`,
      `--initial-advertise-peer-urls=${m.peerUrl}`,
      `--initial-cluster=${initial}`,
      `--initial-cluster-state=${state}`,
      '--initial-cluster-token=sentinel-test',
      '--log-level=error',
      ...(this.opts.extraArgs ?? []),
    ];
    const argv = [...(this.opts.exec ?? []), ...args];
    m.proc = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    if (this.opts.logDir === undefined) m.proc.stderr?.resume();
    else m.proc.stderr?.pipe(createWriteStream(join(this.opts.logDir, `etcd-${m.name}.log`), { flags: 'a' }));
  }

  /** The index of the member that leads the raft group now (asked of the running members). */
  async leader(): Promise<number> {
    const running = this.members.filter((m) => m.proc !== null).map((m) => m.clientUrl);
    // `-w simple`: ENDPOINT, ID, VERSION, DB SIZE, IS LEADER, ... one line per endpoint.
    const out = await this.etcdctl(['endpoint', 'status', '-w', 'simple', '--command-timeout=2s'], running);
    for (const line of out.split('\n')) {
      const f = line.split(',').map((x) => x.trim());
      if (f[4] === 'true') {
        const i = this.members.findIndex((m) => m.clientUrl === f[0]);
        if (i >= 0) return i;
      }
    }
    throw new Error(`no etcd leader among ${running.join(', ')}:\n${out}`);
  }

  /** SIGKILL one member (a crash or power loss). */
  async kill(i: number): Promise<void> {
    const m = this.members[i] as Member;
    const p = m.proc;
    m.proc = null;
    // Already gone (a signal from elsewhere, e.g. the netns harness's teardown): its 'exit' has fired.
    if (p === null || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }

  /** Starts a killed member again on its data dir (or a fresh one after `wipe`). */
  async restart(i: number): Promise<void> {
    this.spawn(i, 'new');
    await this.waitHealthy([i]);
  }

  /** Deletes a (killed) member's data: with one member, etcd comes back empty (data loss). */
  wipe(i: number): void {
    const m = this.members[i] as Member;
    rmSync(m.dataDir, { recursive: true, force: true });
  }

  /** Runs etcdctl against the cluster; resolves to its stdout, rejects with its stderr. */
  async etcdctl(args: readonly string[], endpoints = this.endpoints): Promise<string> {
    const argv = [
      ...(this.opts.exec ?? []),
      '/usr/bin/etcdctl',
      `--endpoints=${endpoints.join(',')}`,
      ...args,
    ];
    return new Promise((resolve, reject) => {
      const p = spawn(argv[0] as string, argv.slice(1), { env: { ...process.env, ETCDCTL_API: '3' } });
      let out = '';
      let errText = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (errText += d.toString()));
      p.on('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`etcdctl ${args.join(' ')}: ${errText}`)),
      );
    });
  }

  async waitHealthy(
    which: readonly number[] = this.members.map((_, i) => i),
    timeoutMs = 30_000,
  ): Promise<void> {
    const endpoints = which.map((i) => this.endpoint(i));
    const t0 = Date.now();
    for (;;) {
      try {
        await this.etcdctl(['endpoint', 'health', '--command-timeout=1s'], endpoints);
        return;
      } catch (e) {
        if (Date.now() - t0 > timeoutMs) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.kill(i)));
    rmSync(this.root, { recursive: true, force: true });
  }
}
