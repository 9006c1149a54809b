import { formatDurationMs } from '../common/duration.js';
import type { ResourceStatus, StatusSnapshot } from './status-snapshot.js';

/** Lays out rows as left-aligned columns separated by two spaces (pure). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Human duration, coarse: `850ms`, `12s`, `3m 20s`, `2h 5m`, `3d 4h` (pure). */
export function humanDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1_000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m}m` : `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d ${h % 24}h`;
}

const ago = (ms: number | null): string => (ms === null ? 'never' : `${humanDuration(ms)} ago`);

function syncCell(r: ResourceStatus): string {
  if (r.syncPercent === null) return '-';
  const eta = r.syncEtaSeconds === null ? '' : ` eta ${humanDuration(r.syncEtaSeconds * 1_000)}`;
  return `${r.syncPercent.toFixed(1)}%${eta}`;
}

function rtt(ms: number | null): string {
  if (ms === null) return '-';
  return ms < 10 ? `${ms.toFixed(2)}ms` : formatDurationMs(Math.round(ms));
}

/**
 * Renders `drbd-sentinel status` for a terminal (pure: same snapshot, same text). Every fact the `--json`
 * output carries that an operator acts on appears here.
 */
export function renderStatus(s: StatusSnapshot): string {
  const out: string[] = [];
  const cluster = s.cluster === null ? '' : `, cluster ${s.cluster}`;
  out.push(
    `drbd-sentinel ${s.daemon.version} on ${s.node} (peer ${s.peer}${cluster}): ${s.daemon.health}, up ${humanDuration(s.daemon.uptimeMs)}, pid ${s.daemon.pid}`,
  );
  const modes: string[] = [];
  if (s.daemon.maintenance) modes.push('MAINTENANCE: both nodes observe only, no automatic action');
  if (s.daemon.standby) modes.push(`STANDBY: ${s.node} holds no resources`);
  if (s.peerState.standby === true) modes.push(`peer ${s.peer} is in STANDBY`);
  for (const m of modes) out.push(`mode: ${m}`);
  const peerHealth = s.peerState.health === null ? '' : `, ${s.peerState.health}`;
  out.push(
    `peer ${s.peer}: ${s.peerState.reachable ? 'reachable' : 'UNREACHABLE'}${peerHealth}, last heard ${ago(s.peerState.lastHeardMsAgo)}`,
  );

  out.push('');
  if (s.resources.length === 0) out.push('no resources');
  else
    out.push(
      ...formatTable(
        ['RESOURCE', 'ROLE', 'DISK', 'CONNECTION', 'SYNC', 'MOUNTED', 'SERVICES', 'NOTE'],
        s.resources.map((r) => [
          r.name,
          `${r.role}/${r.peerRole}`,
          `${r.disk}/${r.peerDisk}`,
          r.cstate,
          syncCell(r),
          r.mounted ? 'yes' : 'no',
          r.servicesUp ? 'up' : 'down',
          r.frozen ? 'FROZEN (split-brain)' : '',
        ]),
      ),
    );

  out.push('');
  if (s.links.length === 0) out.push('no heartbeat links');
  else
    out.push(
      ...formatTable(
        ['LINK', 'LOCAL -> REMOTE', 'STATE', 'RTT', 'LAST HEARD'],
        s.links.map((l) => [
          l.name,
          `${l.local} -> ${l.remote}`,
          l.state,
          rtt(l.rttMs),
          ago(l.lastHeardMsAgo),
        ]),
      ),
    );

  out.push('');
  const d = s.lastDecision;
  if (d === null) out.push('last decision: none yet');
  else {
    const actions = d.actions.length === 0 ? 'no action' : d.actions.join(', ');
    const outcome = d.outcome === null ? '' : ` (${d.outcome})`;
    out.push(`last decision: ${d.time} ${d.reason}: ${actions}${outcome}`);
  }

  if (s.arbiter !== undefined) {
    const a = s.arbiter;
    const lease = a.leaseLeftMs === null ? 'no lease' : `lease ${(a.leaseLeftMs / 1000).toFixed(1)}s left`;
    const owners = a.owners.map((o) => `${o.resource}=${o.owner ?? '-'}`).join(' ');
    out.push(`arbiter: ${a.reachable ? 'reachable' : 'UNREACHABLE'}, ${lease}; owners: ${owners}`);
  }
  if (s.alerts.length === 0) out.push('open alerts: none');
  else {
    out.push(`open alerts: ${s.alerts.length}`);
    for (const a of s.alerts)
      out.push(
        `  ${a.severity.toUpperCase()} ${a.event}${a.resource === null ? '' : ` ${a.resource}`} since ${a.since}: ${a.message}`,
      );
  }
  return `${out.join('\n')}\n`;
}
