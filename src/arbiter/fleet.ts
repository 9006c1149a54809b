import type { Etcd3 } from 'etcd3';
import { prefixRangeEnd } from './etcd-keys.js';
import type { FleetStatusEntry } from './port.js';

/** One pair member as `fleet status` shows it. */
export interface FleetRow {
  readonly cluster: string;
  readonly node: string;
  readonly ageMs: number | null;
  /** Older than the bound, unreadable, or missing (no entry: its daemon's lease is gone). */
  readonly stale: boolean;
  /** Named as the peer of a published entry but publishes none itself (stopped, or lost etcd). */
  readonly missing: boolean;
  readonly entry: FleetStatusEntry | null;
  /** Resources this node owns in etcd. */
  readonly owns: readonly string[];
}

/**
 * Every pair under `prefix`, from one range read (effects: network). An entry whose wall-clock age
 * exceeds `staleAfterMs`, or that cannot be parsed, is marked stale; a peer named by an entry that has
 * none of its own gets a row marked missing (and stale).
 */
export async function readFleet(
  client: Etcd3,
  prefix: string,
  nowWallMs: number,
  staleAfterMs: number,
  timeoutMs = 3_000,
): Promise<FleetRow[]> {
  const base = `${prefix}/`;
  const res = await client.kv.range(
    { key: Buffer.from(base), range_end: prefixRangeEnd(base) },
    // gRPC's deadline is a wall-clock Date; an operator command, not a decision.
    // eslint-disable-next-line no-restricted-syntax
    { deadline: new Date(Date.now() + timeoutMs) },
  );
  const owners = new Map<string, string[]>();
  const statuses: { cluster: string; node: string; value: string }[] = [];
  for (const kv of res.kvs) {
    const parts = kv.key.toString().slice(base.length).split('/');
    if (parts.length !== 3) continue;
    const [cluster = '', a = '', b = ''] = parts;
    if (a === 'status') statuses.push({ cluster, node: b, value: kv.value.toString() });
    else if (b === 'owner') {
      const k = `${cluster}/${kv.value.toString()}`;
      owners.set(k, [...(owners.get(k) ?? []), a]);
    }
  }
  const rows: FleetRow[] = statuses.map(({ cluster, node, value }) => {
    let entry: FleetStatusEntry | null = null;
    try {
      entry = JSON.parse(value) as FleetStatusEntry;
    } catch {
      entry = null;
    }
    const ageMs =
      entry === null || typeof entry.writtenAtWallMs !== 'number'
        ? null
        : Math.max(0, nowWallMs - entry.writtenAtWallMs);
    return {
      cluster,
      node,
      ageMs,
      stale: ageMs === null || ageMs > staleAfterMs,
      missing: false,
      entry,
      owns: owners.get(`${cluster}/${node}`) ?? [],
    };
  });
  const present = new Set(rows.map((r) => `${r.cluster}/${r.node}`));
  for (const r of [...rows]) {
    const peer = r.entry?.peer;
    if (typeof peer !== 'string' || present.has(`${r.cluster}/${peer}`)) continue;
    present.add(`${r.cluster}/${peer}`);
    rows.push({
      cluster: r.cluster,
      node: peer,
      ageMs: null,
      stale: true,
      missing: true,
      entry: null,
      owns: owners.get(`${r.cluster}/${peer}`) ?? [],
    });
  }
  return rows.sort((x, y) => x.cluster.localeCompare(y.cluster) || x.node.localeCompare(y.node));
}

/** The table `fleet status` prints. Pure. */
export function renderFleet(rows: readonly FleetRow[]): string {
  const lines = [['CLUSTER', 'NODE', 'AGE', 'PEER', 'OWNS', 'RESOURCES', 'LAST DECISION']];
  for (const r of rows) {
    const res = (r.entry?.resources ?? [])
      .map((x) => `${x.name}:${x.role}/${x.disk}/${x.connection}`)
      .join(' ');
    lines.push([
      r.cluster,
      r.node,
      r.missing
        ? 'MISSING'
        : `${r.ageMs === null ? '?' : `${Math.round(r.ageMs / 1000)}s`}${r.stale ? ' STALE' : ''}`,
      r.entry?.peerReachable === undefined ? '-' : r.entry.peerReachable ? 'up' : 'LOST',
      r.owns.join(',') || '-',
      res || '-',
      r.entry?.lastDecision ?? '-',
    ]);
  }
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length))) ?? [];
  return (
    lines
      .map((l) =>
        l
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
