/**
 * What the flood scenarios measure on a running netns pair: a daemon's CPU time from /proc, its
 * Prometheus counters scraped from inside its namespace (NetnsPairOptions.metrics: METRICS_LISTEN).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { NetnsHost } from '../../support/netns.js';

/** The metrics endpoint of every node, on the loopback of its own namespace. */
export const METRICS_LISTEN = '127.0.0.1:9943';

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** User + system CPU seconds process `pid` used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** `name{labels} value` samples of one scrape, by metric name. */
export type Scrape = ReadonlyArray<{ name: string; labels: Record<string, string>; value: number }>;

/** Scrapes a node's metrics endpoint from inside its namespace. */
export async function scrape(host: NetnsHost): Promise<Scrape> {
  const r = await host.exec([
    process.execPath,
    '-e',
    `fetch('http://${METRICS_LISTEN}/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))`,
  ]);
  if (r.status !== 'ok') throw new Error(`scrape of ${host.name}: ${r.status}`);
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const kv of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[kv[1]!] = kv[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of `name`'s samples grouped by one label (e.g. rejected packets by reason). */
export function sumBy(s: Scrape, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of s)
    if (x.name === name) out[x.labels[label] ?? ''] = (out[x.labels[label] ?? ''] ?? 0) + x.value;
  return out;
}

/** `after - before` per key. */
export function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(after))
    if (after[k]! - (before[k] ?? 0) !== 0) out[k] = after[k]! - (before[k] ?? 0);
  return out;
}

/** UDP datagrams the kernel of `host`'s namespace dropped so far (socket buffer full, bad checksum). */
export async function udpReceiveErrors(host: NetnsHost): Promise<number> {
  const r = await host.exec(['cat', '/proc/net/snmp']);
  if (r.status !== 'ok') throw new Error(`/proc/net/snmp of ${host.name}: ${r.status}`);
  const [names, values] = r.stdout.split('\n').filter((l) => l.startsWith('Udp:'));
  const i = names?.split(/\s+/).indexOf('InErrors') ?? -1;
  return Number(values?.split(/\s+/)[i]);
}
