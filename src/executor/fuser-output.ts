/**
 * Parses `fuser -vm MOUNTPOINT` output into the processes holding a mount point. Pure and total.
 *
 * psmisc's fuser writes the PIDs to stdout and everything else (header, USER, ACCESS, COMMAND) to
 * stderr, row by row in the same order, so on a terminal they interleave into one table:
 *
 * ```
 *                      USER        PID ACCESS COMMAND
 * /srv:                root     kernel mount /srv
 *                      root       8764 ..c.. sleep
 * ```
 * Captured separately, stdout is ` kernel  8764` and stderr the table without the PID column. Both
 * shapes are accepted: rows that carry their own PID win; otherwise stdout's PIDs are matched with
 * stderr's rows by position. The `kernel` entry (the mount itself) is not a holder.
 */
import type { Holder } from './ports.js';

interface Row {
  readonly user: string;
  readonly pid: number | 'kernel' | null;
  readonly access: string;
  readonly command: string;
}

const HEADER = /^\s*USER\s+PID\s+ACCESS\s+COMMAND\s*$/;
/** A line of stdout's bare PID list (`kernel  8764  8790c`), not a table row. */
const PID_LIST = /^\s*(?:\d+[a-zA-Z]*|kernel)(?:\s+(?:\d+[a-zA-Z]*|kernel))*\s*$/;

function parseRow(line: string): Row | null {
  if (line.trim() === '' || HEADER.test(line) || PID_LIST.test(line)) return null;
  // A row that starts at column 0 begins with the file name ("/srv:"); strip it.
  const body = /^\S/.test(line) ? line.replace(/^.*?:(\s+|$)/, '') : line;
  const fields = body.trim().split(/\s+/);
  if (fields.length < 3) return null;
  const [user = '', second = '', third = '', ...rest] = fields;
  if (/^(\d+|kernel)$/.test(second)) {
    const pid = second === 'kernel' ? 'kernel' : Number(second);
    return { user, pid, access: third, command: rest.join(' ') };
  }
  return { user, pid: null, access: second, command: [third, ...rest].join(' ') };
}

/** The holders listed by `fuser -vm`, in fuser's order, without the kernel entry and without duplicates. */
export function parseFuserOutput(stdout: string, stderr: string): Holder[] {
  const lines = `${stdout}\n${stderr}`.split('\n');
  const rows = lines.map(parseRow).filter((r): r is Row => r !== null);
  const withPid = rows.filter((r) => r.pid !== null);
  const holders: Holder[] = [];
  const seen = new Set<number>();
  const push = (pid: number, row: Row | undefined) => {
    if (!Number.isSafeInteger(pid) || pid <= 0 || seen.has(pid)) return;
    seen.add(pid);
    holders.push({ pid, user: row?.user ?? '?', access: row?.access ?? '?', command: row?.command ?? '?' });
  };
  if (withPid.length > 0) {
    for (const r of withPid) if (typeof r.pid === 'number') push(r.pid, r);
    return holders;
  }
  // Split shape: PIDs on stdout (possibly with access letters appended by old fuser versions).
  const tokens = stdout
    .split(/\s+/)
    .map((t) => t.trim())
    .filter((t) => /^(\d+[a-zA-Z]*|kernel)$/.test(t));
  const tableRows = stderr
    .split('\n')
    .map(parseRow)
    .filter((r): r is Row => r !== null);
  tokens.forEach((t, i) => {
    if (t === 'kernel') return;
    push(Number(/^\d+/.exec(t)?.[0]), tableRows[i]);
  });
  return holders;
}

/** One line per holder for logs and pages: `8764 sleep (root, ..c..)`. */
export function formatHolders(holders: readonly Holder[]): string {
  return holders.map((h) => `${h.pid} ${h.command} (${h.user}, ${h.access})`).join('; ');
}
