/**
 * Two test hosts on one machine: one Linux network namespace per node, joined by one veth pair per
 * heartbeat link, with faults made the way production sees them (a link down, iptables DROP rules for
 * partitions of one kind of traffic). Needs root, `ip` and `iptables`; fails loudly when missing.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { runCommand, type CommandOutcome } from '../../src/common/exec.js';

export interface NetnsHost {
  readonly name: string;
  readonly netns: string;
  /** This host's address on each link, index = link number. */
  readonly addresses: readonly string[];
  /** Starts a long-running process inside the namespace; it is killed by `killAll` and `destroy`. */
  spawn(argv: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command inside the namespace to completion. */
  exec(
    argv: readonly string[],
    options?: { timeoutMs?: number; env?: Record<string, string> },
  ): Promise<CommandOutcome>;
  /** SIGKILLs every process this host started (a power loss of the node, seen from its software). */
  killAll(signal?: NodeJS.Signals): void;
}

/**
 * A third namespace for the arbiter (etcd), joined to each node by a link of its own, so a test can cut
 * a node from etcd alone, from its peer alone (`cutLink`), or from both.
 */
export interface ArbiterNetwork {
  /** The arbiter's namespace; its etcd members are started inside it. */
  readonly host: NetnsHost;
  /** The address etcd listens on (on the namespace's loopback), routed from both nodes over their link. */
  readonly address: string;
  /** Each node's own address on its link to the arbiter. */
  readonly nodeAddresses: readonly [string, string];
  /**
   * Cuts node `side`'s link to the arbiter at the arbiter's end: the node keeps its route and its
   * interface (as when a switch port or the far end fails), so its requests go unanswered until they
   * time out, rather than failing at once.
   */
  cut(side: 0 | 1): void;
  restore(side: 0 | 1): void;
}

export interface TwoNodeNetwork {
  readonly hosts: readonly [NetnsHost, NetnsHost];
  /** The arbiter's namespace and links; null unless asked for (`arbiter: true`). */
  readonly arbiter: ArbiterNetwork | null;
  /** Takes link `index` down on both ends (a cable pulled). */
  cutLink(index: number): void;
  restoreLink(index: number): void;
  /** Drops traffic of one kind between the hosts on every link: heartbeats (UDP) or replication (TCP port). */
  block(what: { readonly udpPort?: number; readonly tcpPort?: number }): void;
  /** Removes every DROP rule added by `block`. */
  unblockAll(): void;
  destroy(): void;
}

/** Throws an Error naming what is missing when this machine cannot run the netns tier. */
export function assertNetnsPrerequisites(): void {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (the netns tier creates network namespaces)');
  for (const tool of ['ip', 'iptables']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      missing.push(
        `${tool} (apt-get install ${tool === 'ip' ? 'iproute2' : tool}; scripts/install-deps.sh does)`,
      );
    }
  }
  if (missing.length > 0) throw new Error(`netns tier cannot run, missing: ${missing.join('; ')}`);
}

function sh(argv: readonly string[]): void {
  execFileSync(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
}

function shQuiet(argv: readonly string[]): void {
  try {
    sh(argv);
  } catch {
    // cleanup of something already gone
  }
}

let networkCounter = 0;

/**
 * Creates namespaces `ds<pid>n<k>a` / `...b` and `links` veth pairs with addresses 10.231.<k*8+link>.1/.2
 * (private addresses that exist only inside these namespaces). With `arbiter`, also `...e`: one veth
 * pair to each node (10.232.<k*8+side>.1 node, .2 arbiter) and the arbiter's address 10.233.<k>.1 on its
 * loopback, routed from each node over its own link only (the arbiter namespace does not forward, so
 * these links never join the nodes to each other).
 */
export function createTwoNodeNetwork(
  options: { links?: number; names?: readonly [string, string]; arbiter?: boolean } = {},
): TwoNodeNetwork {
  assertNetnsPrerequisites();
  const links = options.links ?? 2;
  networkCounter += 1;
  // A distinct block of subnets per process and network, so a leftover from a crashed run cannot collide.
  const k = (process.pid + networkCounter) % 31;
  const prefix = `ds${process.pid % 100000}n${networkCounter}`;
  const names = options.names ?? ['alpha', 'bravo'];
  const netns = [`${prefix}a`, `${prefix}b`] as const;
  const addr = (link: number, side: 0 | 1) => `10.231.${(k * 8 + link) % 250}.${side + 1}`;
  const vethName = (link: number, side: 0 | 1) => `${prefix}${side === 0 ? 'a' : 'b'}${link}`.slice(-15);
  const blockRules: string[][] = [];
  const arbiterNs = options.arbiter === true ? `${prefix}e` : null;
  const arbiterAddress = `10.233.${k}.1`;
  const arbiterLinkAddr = (side: 0 | 1, end: 'node' | 'arbiter') =>
    `10.232.${(k * 8 + side) % 250}.${end === 'node' ? 1 : 2}`;
  const arbiterVeth = (side: 0 | 1, end: 'node' | 'arbiter') =>
    `${prefix}${end === 'node' ? `${side === 0 ? 'a' : 'b'}e` : `e${side === 0 ? 'a' : 'b'}`}`.slice(-15);
  const arbiterRoute = (side: 0 | 1) => [
    'ip',
    '-n',
    netns[side],
    'route',
    'replace',
    `${arbiterAddress}/32`,
    'via',
    arbiterLinkAddr(side, 'arbiter'),
  ];
  const allNetns = arbiterNs === null ? [...netns] : [...netns, arbiterNs];

  try {
    for (const ns of allNetns) {
      sh(['ip', 'netns', 'add', ns]);
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    for (let link = 0; link < links; link++) {
      const [va, vb] = [vethName(link, 0), vethName(link, 1)];
      sh(['ip', 'link', 'add', va, 'netns', netns[0], 'type', 'veth', 'peer', 'name', vb, 'netns', netns[1]]);
      for (const side of [0, 1] as const) {
        const dev = side === 0 ? va : vb;
        sh(['ip', '-n', netns[side], 'addr', 'add', `${addr(link, side)}/24`, 'dev', dev]);
        sh(['ip', '-n', netns[side], 'link', 'set', dev, 'up']);
      }
    }
    if (arbiterNs !== null) {
      sh(['ip', '-n', arbiterNs, 'addr', 'add', `${arbiterAddress}/32`, 'dev', 'lo']);
      for (const side of [0, 1] as const) {
        const [vn, va] = [arbiterVeth(side, 'node'), arbiterVeth(side, 'arbiter')];
        sh([
          'ip',
          'link',
          'add',
          vn,
          'netns',
          netns[side],
          'type',
          'veth',
          'peer',
          'name',
          va,
          'netns',
          arbiterNs,
        ]);
        sh(['ip', '-n', netns[side], 'addr', 'add', `${arbiterLinkAddr(side, 'node')}/24`, 'dev', vn]);
        sh(['ip', '-n', arbiterNs, 'addr', 'add', `${arbiterLinkAddr(side, 'arbiter')}/24`, 'dev', va]);
        sh(['ip', '-n', netns[side], 'link', 'set', vn, 'up']);
        sh(['ip', '-n', arbiterNs, 'link', 'set', va, 'up']);
        sh(arbiterRoute(side));
      }
      // A fresh namespace does not forward; say so, so that a changed default cannot join the nodes here.
      sh(['ip', 'netns', 'exec', arbiterNs, 'sysctl', '-qw', 'net.ipv4.ip_forward=0']);
    }
  } catch (e) {
    for (const ns of allNetns) shQuiet(['ip', 'netns', 'del', ns]);
    throw e;
  }

  const makeHost = (
    name: string,
    ns: string,
    addresses: readonly string[],
  ): NetnsHost & { children: Set<ChildProcess> } => {
    const children = new Set<ChildProcess>();
    return {
      name,
      netns: ns,
      addresses,
      children,
      spawn(argv, spawnOptions = {}) {
        const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
          stdio: 'pipe',
          ...spawnOptions,
        });
        children.add(child);
        child.on('exit', () => children.delete(child));
        return child;
      },
      exec(argv, execOptions = {}) {
        return runCommand(['ip', 'netns', 'exec', ns, ...argv], {
          timeoutMs: execOptions.timeoutMs ?? 30_000,
          ...(execOptions.env ? { env: execOptions.env } : {}),
        });
      },
      killAll(signal = 'SIGKILL') {
        // `ip netns exec` execs the command, so the child's pid is the command's own pid.
        for (const child of children) child.kill(signal);
        // Anything else left in the namespace (grandchildren) goes too.
        try {
          const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/);
          for (const pid of pids) if (pid) shQuiet(['kill', `-${signal.replace('SIG', '')}`, pid]);
        } catch {
          // namespace already gone
        }
      },
    };
  };
  const nodeAddresses = (side: 0 | 1) => Array.from({ length: links }, (_, link) => addr(link, side));
  const hosts = [
    makeHost(names[0], netns[0], nodeAddresses(0)),
    makeHost(names[1], netns[1], nodeAddresses(1)),
  ] as const;
  const arbiterHost = arbiterNs === null ? null : makeHost('arbiter', arbiterNs, [arbiterAddress]);
  const arbiter: ArbiterNetwork | null =
    arbiterHost === null || arbiterNs === null
      ? null
      : {
          host: arbiterHost,
          address: arbiterAddress,
          nodeAddresses: [arbiterLinkAddr(0, 'node'), arbiterLinkAddr(1, 'node')],
          cut(side) {
            sh(['ip', '-n', arbiterNs, 'link', 'set', arbiterVeth(side, 'arbiter'), 'down']);
          },
          restore(side) {
            sh(['ip', '-n', arbiterNs, 'link', 'set', arbiterVeth(side, 'arbiter'), 'up']);
            // The node kept its route through the dead link; put it back in case the kernel dropped it.
            sh(arbiterRoute(side));
          },
        };

  const iptables = (side: 0 | 1, rule: readonly string[]) =>
    sh(['ip', 'netns', 'exec', netns[side], 'iptables', '-w', ...rule]);

  return {
    hosts,
    arbiter,
    cutLink(link) {
      sh(['ip', '-n', netns[0], 'link', 'set', vethName(link, 0), 'down']);
      sh(['ip', '-n', netns[1], 'link', 'set', vethName(link, 1), 'down']);
    },
    restoreLink(link) {
      for (const side of [0, 1] as const)
        sh(['ip', '-n', netns[side], 'link', 'set', vethName(link, side), 'up']);
    },
    block(what) {
      for (const side of [0, 1] as const) {
        const rules: string[][] = [];
        if (what.udpPort !== undefined)
          rules.push(['-p', 'udp', '--dport', String(what.udpPort), '-j', 'DROP']);
        if (what.tcpPort !== undefined) {
          rules.push(['-p', 'tcp', '--dport', String(what.tcpPort), '-j', 'DROP']);
          rules.push(['-p', 'tcp', '--sport', String(what.tcpPort), '-j', 'DROP']);
        }
        for (const r of rules) {
          iptables(side, ['-I', 'INPUT', ...r]);
          blockRules.push([String(side), ...r]);
        }
      }
    },
    unblockAll() {
      for (const [side, ...r] of blockRules.splice(0)) iptables(Number(side) as 0 | 1, ['-D', 'INPUT', ...r]);
    },
    destroy() {
      for (const h of [...hosts, ...(arbiterHost === null ? [] : [arbiterHost])]) h.killAll('SIGKILL');
      for (const ns of allNetns) shQuiet(['ip', 'netns', 'del', ns]);
    },
  };
}
