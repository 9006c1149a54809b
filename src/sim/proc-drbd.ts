/**
 * /proc/drbd text in DRBD 8.4.11's exact layout (see the shared fixtures): header, a blank line
 * before a non-consecutive minor, the state line, the counters line, and resync/verify progress
 * lines (tab-indented) while one runs. Pure.
 */
import type { ProcDrbdDevice as ParsedProcDrbdDevice } from '../drbd/proc-drbd.js';

export const PROC_DRBD_HEADER =
  'version: 8.4.11 (api:1/proto:86-101)\nsrcversion: F73C670A7EC572DB9CF3E5B \n';

/**
 * Everything the simulator prints about one minor: the state fields of the parser's ProcDrbdDevice
 * (src/drbd/proc-drbd.ts, one definition of what /proc/drbd says) plus what the simulator renders from.
 */
export interface ProcDrbdDevice extends Pick<
  ParsedProcDrbdDevice,
  'minor' | 'cstate' | 'role' | 'peerRole' | 'disk' | 'peerDisk' | 'protocol' | 'suspended'
> {
  /** AL_SUSPENDED: the last I/O flag shows `s`. */
  readonly alSuspended?: boolean;
  readonly counters: {
    readonly ns: number;
    readonly nr: number;
    readonly dw: number;
    readonly dr: number;
    readonly al: number;
    readonly bm: number;
  };
  readonly pending: number;
  readonly appPending: number;
  readonly oosKiB: number;
  readonly sync: {
    readonly verify: boolean;
    readonly totalKiB: number;
    readonly leftKiB: number;
    readonly speedKiBps: number;
  } | null;
}

const thousands = (n: number): string =>
  Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');

function progressLines(d: ProcDrbdDevice): string {
  const s = d.sync;
  if (!s || s.totalKiB <= 0) return '';
  const done = s.totalKiB - s.leftKiB;
  const permille = Math.max(0, Math.min(1000, Math.floor((done * 1000) / s.totalKiB)));
  const x = Math.floor(permille / 50);
  const bar = '='.repeat(Math.max(0, x - 1)) + '>' + '.'.repeat(20 - x);
  const label = s.verify ? 'verified:' : "sync'ed:";
  const pct = `${Math.floor(permille / 10)
    .toString()
    .padStart(3, ' ')}.${permille % 10}%`;
  const big = s.totalKiB > 4 * 1024 * 1024;
  const amount = big
    ? `(${Math.floor(s.leftKiB / 1024)}/${Math.floor(s.totalKiB / 1024)})M`
    : `(${s.leftKiB}/${s.totalKiB})K`;
  const secs = s.speedKiBps > 0 ? Math.ceil(s.leftKiB / s.speedKiBps) : 0;
  const finish = `${Math.floor(secs / 3600)}:${String(Math.floor((secs % 3600) / 60)).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
  return `\t[${bar}] ${label}${pct} ${amount}\n\tfinish: ${finish} speed: ${thousands(s.speedKiBps)} (${thousands(s.speedKiBps)}) K/sec\n`;
}

/** Renders the whole /proc/drbd. `devices` sorted by minor; empty = module loaded, nothing configured. Pure. */
export function renderProcDrbd(devices: readonly ProcDrbdDevice[]): string {
  let out = PROC_DRBD_HEADER;
  let prev = -1;
  for (const d of devices) {
    if (d.minor !== prev + 1) out += '\n';
    prev = d.minor;
    const m = String(d.minor).padStart(2, ' ');
    const flags = `${d.suspended ? 's' : 'r'}----${d.alSuspended ? 's' : '-'}`;
    out += `${m}: cs:${d.cstate} ro:${d.role}/${d.peerRole} ds:${d.disk}/${d.peerDisk} ${d.protocol ?? ' '} ${flags}\n`;
    const c = d.counters;
    out += `    ns:${c.ns} nr:${c.nr} dw:${c.dw} dr:${c.dr} al:${c.al} bm:${c.bm} lo:0 pe:${d.pending} ua:0 ap:${d.appPending} ep:1 wo:f oos:${d.oosKiB}\n`;
    out += progressLines(d);
  }
  return out;
}
