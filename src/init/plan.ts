import { err, ok, type Result } from '../common/result.js';
import type { DrbdConfigDump, DrbdResourceConfig } from '../drbd/dump-xml.js';
import { daemonMountOptions, fstabEntryFor, type FstabEntry } from './fstab.js';

/** What `init` found out and was told: everything the configuration file needs. */
export interface InitPlan {
  readonly clusterName: string;
  /** In DRBD's host order (the same on both nodes, so both write the same file). */
  readonly nodes: readonly [InitNode, InitNode];
  readonly localIndex: 0 | 1;
  readonly resources: readonly InitResource[];
  readonly fencingPolicy: 'stonith' | 'resource-only';
  readonly fenceHandlers: readonly { readonly name: string; readonly command: readonly string[] }[];
  readonly secretFile: string;
  /** Things the operator should know (fstab mounts at boot, extra volumes, one heartbeat link). */
  readonly notes: readonly string[];
}

export interface InitNode {
  readonly name: string;
  readonly addresses: readonly string[];
}

export interface InitResource {
  readonly name: string;
  readonly device: string;
  readonly mount: {
    readonly point: string;
    readonly fstype: string;
    readonly options: readonly string[];
  } | null;
}

/** Inputs of planInit: plain data the CLI gathered (dump-xml, fstab, uname -n, options). */
export interface InitInput {
  readonly dump: DrbdConfigDump;
  readonly fstab: readonly FstabEntry[];
  readonly hostname: string;
  readonly secretFile: string;
  readonly clusterName?: string;
  /** Extra heartbeat addresses per node name (`--address NODE=IP`), each a further link. */
  readonly extraAddresses?: Readonly<Record<string, readonly string[]>>;
  /** Fence commands as argument lists (`--fence-command`). */
  readonly fenceCommands?: readonly (readonly string[])[];
  /** Explicit `--fencing-policy`; default stonith with a fence command, resource-only without. */
  readonly fencingPolicy?: 'stonith' | 'resource-only';
}

/** Why init cannot write a configuration; `missing` names what is missing, for the message. */
export interface InitProblem {
  readonly code:
    | 'no-drbd-resources'
    | 'floating-hosts'
    | 'not-two-hosts'
    | 'hosts-differ'
    | 'host-not-in-drbd'
    | 'no-device'
    | 'no-address'
    | 'bad-option';
  readonly message: string;
}

const problem = (code: InitProblem['code'], message: string): Result<InitPlan, InitProblem> =>
  err({ code, message });

/** DRBD writes IPv6 addresses as in its config; the daemon's schema wants the bare literal. */
const bareAddress = (a: string): string => a.replace(/^\[(.*)\]$/, '$1');

function hostNames(r: DrbdResourceConfig): string[] {
  return r.hosts.map((h) => h.names[0] ?? '');
}

/** A cluster name both nodes derive alike: the two DRBD host names, in DRBD's order. */
function defaultClusterName(a: string, b: string): string {
  return `${a}-${b}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
}

/**
 * Pure. From DRBD's configuration (`drbdadm dump-xml`), /etc/fstab and this host's name, the
 * configuration of the pair: the two nodes (DRBD's `on HOST` names, their replication addresses as
 * the first heartbeat link), each resource's device and mount, the fencing policy and handlers.
 * Fails with a problem naming what is missing, so that nothing is written.
 */
export function planInit(input: InitInput): Result<InitPlan, InitProblem> {
  const { dump } = input;
  if (dump.resources.length === 0)
    return problem(
      'no-drbd-resources',
      `DRBD's configuration${dump.file ? ` (${dump.file})` : ''} defines no resource: set DRBD up first (e.g. /etc/drbd.d/r0.res), then run init`,
    );
  const first = dump.resources[0] as DrbdResourceConfig;
  for (const r of dump.resources) {
    if (r.hosts.some((h) => h.floating || h.names.length === 0))
      return problem(
        'floating-hosts',
        `DRBD resource ${r.name} uses floating host sections: init needs "on HOST" sections that name the two nodes (uname -n)`,
      );
    if (r.hosts.length !== 2)
      return problem(
        'not-two-hosts',
        `DRBD resource ${r.name} has ${r.hosts.length} host section(s) (${hostNames(r).join(', ') || 'none'}): drbd-sentinel runs a pair, exactly two`,
      );
    if (
      hostNames(r).join(' ') !== hostNames(first).join(' ') &&
      hostNames(r).reverse().join(' ') !== hostNames(first).join(' ')
    )
      return problem(
        'hosts-differ',
        `DRBD resources ${first.name} (${hostNames(first).join(', ')}) and ${r.name} (${hostNames(r).join(', ')}) are on different hosts: one drbd-sentinel pair serves one pair of nodes`,
      );
  }
  const names = hostNames(first) as [string, string];
  const localIndex = first.hosts.findIndex((h) => h.names.includes(input.hostname));
  if (localIndex < 0)
    return problem(
      'host-not-in-drbd',
      `this host (${input.hostname}, from \`uname -n\`) is not in DRBD's configuration: resource ${first.name} is on ${names.join(' and ')}; DRBD's "on HOST" names must equal uname -n (or pass --node NAME)`,
    );
  const nodes = first.hosts.map((h, i): InitNode => {
    const name = names[i] as string;
    const replication = h.address ? [bareAddress(h.address.address)] : [];
    return { name, addresses: [...replication, ...(input.extraAddresses?.[name] ?? [])] };
  }) as [InitNode, InitNode];
  for (const unknown of Object.keys(input.extraAddresses ?? {}).filter((n) => !names.includes(n)))
    return problem(
      'bad-option',
      `--address ${unknown}=...: ${unknown} is not a DRBD host (${names.join(', ')})`,
    );
  for (const n of nodes)
    if (n.addresses.length === 0)
      return problem(
        'no-address',
        `DRBD resource ${first.name} gives host ${n.name} no address: pass its heartbeat address with --address ${n.name}=IP`,
      );
  if (nodes[0].addresses.length !== nodes[1].addresses.length)
    return problem(
      'bad-option',
      `the nodes have ${nodes[0].addresses.length} and ${nodes[1].addresses.length} heartbeat addresses: give each node one --address per extra link`,
    );

  const notes: string[] = [];
  if (nodes[0].addresses.length === 1)
    notes.push(
      `heartbeats use DRBD's replication network only (${nodes[0].addresses[0]} / ${nodes[1].addresses[0]}): add a second link with --address ${nodes[0].name}=IP --address ${nodes[1].name}=IP so a failed switch port does not look like a dead peer`,
    );
  const resources: InitResource[] = [];
  for (const r of dump.resources) {
    const local = r.hosts[localIndex];
    const volume = local?.volumes[0];
    const device =
      volume?.device ??
      (volume?.minor !== null && volume?.minor !== undefined ? `/dev/drbd${volume.minor}` : null);
    if (device === null)
      return problem('no-device', `DRBD resource ${r.name} names no device for ${names[localIndex]}`);
    if ((local?.volumes.length ?? 0) > 1)
      notes.push(
        `DRBD resource ${r.name} has ${local?.volumes.length} volumes: only volume 0 (${device}) is mounted`,
      );
    const entry = fstabEntryFor(input.fstab, r.name, device);
    if (entry === null)
      notes.push(
        `no /etc/fstab entry for ${device}: resource ${r.name} is configured as a raw device (no mount)`,
      );
    else if (!entry.options.includes('noauto'))
      notes.push(
        `/etc/fstab line ${entry.line} mounts ${entry.spec} on ${entry.file} at boot: add noauto there (drbd-sentinel mounts it on the Primary only)`,
      );
    resources.push({
      name: r.name,
      device,
      mount:
        entry === null
          ? null
          : { point: entry.file, fstype: entry.vfstype, options: daemonMountOptions(entry) },
    });
  }

  const fenceCommands = input.fenceCommands ?? [];
  const policy = input.fencingPolicy ?? (fenceCommands.length > 0 ? 'stonith' : 'resource-only');
  if (policy === 'stonith' && fenceCommands.length === 0)
    return problem(
      'bad-option',
      'fencing policy stonith needs a fence command (--fence-command "/usr/sbin/fence_ipmilan --ip=... --action=off"): taking over from an unreachable peer requires proof that it is off',
    );
  for (const c of fenceCommands)
    if (!(c[0] ?? '').startsWith('/'))
      return problem(
        'bad-option',
        `--fence-command ${JSON.stringify(c.join(' '))}: the program must be an absolute path`,
      );
  const used = new Map<string, number>();
  const fenceHandlers = fenceCommands.map((command) => {
    const base =
      (command[0] ?? 'fence')
        .split('/')
        .pop()
        ?.replace(/[^A-Za-z0-9_.-]/g, '-') || 'fence';
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return { name: n === 1 ? base : `${base}-${n}`, command };
  });
  if (policy === 'resource-only')
    notes.push(
      'fencing policy resource-only: no automatic takeover from an unreachable peer (a power loss of the Primary waits for you); give a fence agent with --fence-command for automatic failover',
    );

  return ok({
    clusterName: input.clusterName ?? defaultClusterName(names[0], names[1]),
    nodes,
    localIndex: localIndex as 0 | 1,
    resources,
    fencingPolicy: policy,
    fenceHandlers,
    secretFile: input.secretFile,
    notes,
  });
}
