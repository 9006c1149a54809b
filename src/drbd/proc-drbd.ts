import { err, ok, type Result } from '../common/result.js';
import { parseError, type DrbdParseError } from './parse-error.js';
import { asConnectionState, asDiskState, asProtocol, asRole } from './state-names.js';
import type { ConnectionState, DiskState, ReplicationProtocol, Role } from './types.js';

/** The `version:` line of /proc/drbd: `version: 8.4.11 (api:1/proto:86-101)`. */
export interface ProcDrbdVersion {
  /** `8.4.11`, `8.3.13`, `9.2.4-1`. */
  readonly release: string;
  /** Major.minor as numbers (8.4 -> [8, 4]); null when the release is not dotted numbers. */
  readonly major: number | null;
  readonly minor: number | null;
  readonly api: number | null;
  readonly protoMin: number | null;
  readonly protoMax: number | null;
}

/** Resync or online-verify progress (the two tab-indented lines under a syncing minor). */
export interface ProcDrbdProgress {
  readonly kind: 'resync' | 'verify';
  /** `sync'ed:` / `verified:` percentage, one decimal as DRBD prints it. */
  readonly percent: number;
  /** Remaining and total KiB of the bracket `(left/total)K` (M is converted to KiB). */
  readonly leftKiB: number | null;
  readonly totalKiB: number | null;
  /** `finish: H:MM:SS` in seconds. */
  readonly etaSeconds: number | null;
  /** First `speed:` figure in KiB/s. */
  readonly speedKiBps: number | null;
  readonly stalled: boolean;
}

/** One minor as /proc/drbd shows it. */
export interface ProcDrbdDevice {
  readonly minor: number;
  readonly cstate: ConnectionState;
  readonly role: Role;
  readonly peerRole: Role;
  readonly disk: DiskState;
  readonly peerDisk: DiskState;
  /** Wire protocol; null when blank (StandAlone: no net config) or unconfigured. */
  readonly protocol: ReplicationProtocol | null;
  /** I/O flags verbatim (`r-----` in 8.4, `r----` in 8.3, `r---` in 8.0); null when absent. */
  readonly ioFlags: string | null;
  /** First I/O flag is `s`: application I/O suspended. */
  readonly suspended: boolean;
  /** The counters line (`ns:`, `nr:`, `dw:`, ..., `oos:`); numbers where numeric, `wo:` stays a letter. */
  readonly counters: Readonly<Record<string, number | string>>;
  readonly outOfSyncKiB: number | null;
  readonly progress: ProcDrbdProgress | null;
}

/** Everything one read of /proc/drbd says. */
export interface ProcDrbdSnapshot {
  readonly version: ProcDrbdVersion | null;
  /** `GIT-hash:` (8.3, early 8.4, 9) or `srcversion:` (distribution kernels), verbatim. */
  readonly gitHash: string | null;
  readonly srcversion: string | null;
  /** DRBD 9 prints `Transports (api:N): tcp (9.x.y)` and no minors at all. */
  readonly transports: string | null;
  readonly devices: readonly ProcDrbdDevice[];
}

const VERSION_RE = /^version:\s+(\S+)(?:\s+\(api:(\d+)\/proto:(\d+)-(\d+)\))?/;
const DEVICE_RE = /^\s*(\d+):\s+cs:(\S+)(.*)$/;
const PROGRESS_RE = /^\s*\[[=>.]*\]\s+(sync'ed|verified):\s*([\d.]+)%(?:\s+\((\d+)\/(\d+)\)([KM]))?/;
const FINISH_RE = /^\s*finish:\s+(\d+):(\d{1,2}):(\d{1,2})(?:\s+speed:\s+([\d,]+))?/;
// Lines DRBD may print under a minor that carry nothing we use (proc_details >= 1, 8.0's lru stats).
const IGNORED_INDENTED_RE =
  /^\s+(\d+% sector pos:|resync:|act_log:|blocked on activity log:|\d+ \w+ \d+|[a-z_]+: used:)/;

function int(s: string | undefined): number | null {
  if (s === undefined || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

function parseVersion(line: string): ProcDrbdVersion | null {
  const m = VERSION_RE.exec(line);
  if (!m || m[1] === undefined) return null;
  const release = m[1];
  const mm = /^(\d+)\.(\d+)/.exec(release);
  return {
    release,
    major: mm ? int(mm[1]) : null,
    minor: mm ? int(mm[2]) : null,
    api: int(m[2]),
    protoMin: int(m[3]),
    protoMax: int(m[4]),
  };
}

type DeviceDraft = { -readonly [K in keyof ProcDrbdDevice]: ProcDrbdDevice[K] };

/**
 * Parses the device header ` 1: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----`
 * (8.4; 8.3 and 8.0 say `st:` for `ro:`) or ` 2: cs:Unconfigured`.
 */
function parseDeviceHeader(lineNo: number, line: string): Result<DeviceDraft, DrbdParseError> {
  const m = DEVICE_RE.exec(line);
  if (!m || m[1] === undefined || m[2] === undefined)
    return err(parseError(lineNo, line, 'not a device line'));
  const minor = int(m[1]);
  if (minor === null) return err(parseError(lineNo, line, 'bad minor number'));
  const cstate = asConnectionState(m[2]);
  if (cstate === null)
    return err(parseError(lineNo, line, `unknown connection state ${JSON.stringify(m[2])}`));
  const rest = m[3] ?? '';
  if (cstate === 'Unconfigured') {
    if (rest.trim() !== '') return err(parseError(lineNo, line, 'unexpected text after cs:Unconfigured'));
    // DRBD prints Unconfigured for a minor that is StandAlone, Diskless and Secondary.
    return ok({
      minor,
      cstate,
      role: 'Secondary',
      peerRole: 'Unknown',
      disk: 'Diskless',
      peerDisk: 'DUnknown',
      protocol: null,
      ioFlags: null,
      suspended: false,
      counters: {},
      outOfSyncKiB: null,
      progress: null,
    });
  }
  const sm = /^\s+(?:ro|st):(\w+)\/(\w+)\s+ds:(\w+)\/(\w+)(?:\s+([ABC]))?(?:\s+([a-z-]{3,8}))?\s*$/.exec(
    rest,
  );
  if (!sm || sm[1] === undefined || sm[2] === undefined || sm[3] === undefined || sm[4] === undefined)
    return err(parseError(lineNo, line, 'expected ro:ROLE/ROLE ds:DISK/DISK [PROTOCOL] [FLAGS]'));
  const role = asRole(sm[1]);
  const peerRole = asRole(sm[2]);
  const disk = asDiskState(sm[3]);
  const peerDisk = asDiskState(sm[4]);
  if (role === null || peerRole === null) return err(parseError(lineNo, line, 'unknown role'));
  if (disk === null || peerDisk === null) return err(parseError(lineNo, line, 'unknown disk state'));
  const ioFlags = sm[6] ?? null;
  return ok({
    minor,
    cstate,
    role,
    peerRole,
    disk,
    peerDisk,
    protocol: sm[5] === undefined ? null : asProtocol(sm[5]),
    ioFlags,
    suspended: ioFlags !== null && ioFlags.startsWith('s'),
    counters: {},
    outOfSyncKiB: null,
    progress: null,
  });
}

function parseCounters(line: string): Record<string, number | string> | null {
  const tokens = line.trim().split(/\s+/);
  const out: Record<string, number | string> = {};
  for (const t of tokens) {
    const m = /^([a-z]+):(\S+)$/.exec(t);
    if (!m || m[1] === undefined || m[2] === undefined) return null;
    const n = int(m[2]);
    out[m[1]] = n ?? m[2];
  }
  return 'ns' in out || 'oos' in out ? out : null;
}

/**
 * Pure and total. Parses the whole of /proc/drbd (DRBD 8.0 to 8.4; DRBD 9 shows only the version
 * and transports). Blank lines and lines starting with `#` are ignored (annotated captures can be
 * fed as they are). Any other line that is not DRBD's gives a located error.
 */
export function parseProcDrbd(text: string): Result<ProcDrbdSnapshot, DrbdParseError> {
  const lines = text.split(/\r?\n/);
  let version: ProcDrbdVersion | null = null;
  let gitHash: string | null = null;
  let srcversion: string | null = null;
  let transports: string | null = null;
  const devices: DeviceDraft[] = [];
  let current: DeviceDraft | null = null;
  let progress: { -readonly [K in keyof ProcDrbdProgress]: ProcDrbdProgress[K] } | null = null;
  const flush = () => {
    if (current !== null) {
      current.progress = progress;
      devices.push(current);
    }
    current = null;
    progress = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const lineNo = i + 1;
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (line.startsWith('version:')) {
      const v = parseVersion(line);
      if (v === null) return err(parseError(lineNo, line, 'malformed version line'));
      if (version !== null) return err(parseError(lineNo, line, 'second version line'));
      version = v;
      continue;
    }
    if (line.startsWith('GIT-hash:')) {
      gitHash = line.slice('GIT-hash:'.length).trim();
      continue;
    }
    if (line.startsWith('srcversion:')) {
      srcversion = line.slice('srcversion:'.length).trim();
      continue;
    }
    if (line.startsWith('Transports')) {
      transports = line.trim();
      continue;
    }
    if (DEVICE_RE.test(line)) {
      flush();
      const d = parseDeviceHeader(lineNo, line);
      if (!d.ok) return d;
      if (devices.some((x) => x.minor === d.value.minor))
        return err(parseError(lineNo, line, `minor ${d.value.minor} listed twice`));
      current = d.value;
      continue;
    }
    const dev: DeviceDraft | null = current;
    if (dev === null) return err(parseError(lineNo, line, 'unrecognised line outside any device'));
    const counters = parseCounters(line);
    if (counters !== null) {
      dev.counters = counters;
      const oos = counters.oos;
      dev.outOfSyncKiB = typeof oos === 'number' ? oos : null;
      continue;
    }
    const pm = PROGRESS_RE.exec(line);
    if (pm) {
      const percent = Number(pm[2]);
      if (!Number.isFinite(percent) || percent < 0 || percent > 100)
        return err(parseError(lineNo, line, 'bad progress percentage'));
      const scale = pm[5] === 'M' ? 1024 : 1;
      const left = int(pm[3]);
      const total = int(pm[4]);
      progress = {
        kind: pm[1] === 'verified' ? 'verify' : 'resync',
        percent,
        leftKiB: left === null ? null : left * scale,
        totalKiB: total === null ? null : total * scale,
        etaSeconds: null,
        speedKiBps: null,
        stalled: false,
      };
      continue;
    }
    const fm = FINISH_RE.exec(line);
    if (fm) {
      if (progress === null) return err(parseError(lineNo, line, 'finish: line without a progress line'));
      const h = int(fm[1]) ?? 0;
      const m = int(fm[2]) ?? 0;
      const s = int(fm[3]) ?? 0;
      progress.etaSeconds = h * 3600 + m * 60 + s;
      progress.speedKiBps = fm[4] === undefined ? null : int(fm[4].replace(/,/g, ''));
      progress.stalled = /\(stalled\)/.test(line);
      continue;
    }
    if (IGNORED_INDENTED_RE.test(line)) continue;
    return err(parseError(lineNo, line, 'unrecognised line'));
  }
  flush();
  if (version === null && devices.length === 0 && text.trim() !== '' && gitHash === null)
    return err(parseError(1, lines[0] ?? '', 'no version line: not /proc/drbd'));
  devices.sort((a, b) => a.minor - b.minor);
  return ok({ version, gitHash, srcversion, transports, devices });
}
