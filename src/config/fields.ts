import { isIP } from 'node:net';
import { posix } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { parseDurationMs } from '../common/duration.js';

// Field schemas shared by the sections of schema.ts. Each one validates the text an operator
// writes and, where useful, turns it into the typed value the daemon uses. Messages name what
// was expected and show an example, because they end up verbatim in check-config's output.

/** Describes a YAML value for an error message: `"abc"`, `42`, `a list`, `nothing`. Pure. */
export function describeInput(input: unknown): string {
  if (input === undefined || input === null) return 'nothing';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return JSON.stringify(input);
  return String(input);
}

/** The longest delay a Node.js timer can wait (2^31-1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

const DURATION_HELP = 'a duration: a number with a unit ms, s, m or h (e.g. 200ms, 2s, 5m)';

/**
 * A duration written like `200ms`, `2s`, `1.5s`, `5m`, `1h`; parses to integer milliseconds.
 * `minMs` rejects durations that make no sense for the key (e.g. a zero interval).
 */
export function duration(minMs = 1) {
  return z
    .string({ error: (iss) => `expected ${DURATION_HELP}, got ${describeInput(iss.input)}` })
    .transform((text, ctx) => {
      const r = parseDurationMs(text);
      if (!r.ok) {
        ctx.addIssue({ code: 'custom', message: r.error, input: text });
        return z.NEVER;
      }
      if (r.value > MAX_TIMER_MS) {
        // Node.js fires a timer longer than 2^31-1 ms at once (with a warning): a safety hazard.
        ctx.addIssue({
          code: 'custom',
          message: `must be at most 596h (timers cannot wait longer), got ${text}`,
          input: text,
        });
        return z.NEVER;
      }
      if (r.value < minMs) {
        ctx.addIssue({ code: 'custom', message: `must be at least ${minMs}ms, got ${text}`, input: text });
        return z.NEVER;
      }
      return r.value;
    })
    .meta({ description: DURATION_HELP });
}

/** An absolute path, normalized (`/DRBD/` and `/DRBD` are the same mount point). */
export function absolutePath(what = 'path') {
  return z
    .string({ error: (iss) => `expected an absolute ${what}, got ${describeInput(iss.input)}` })
    .refine((p) => p.startsWith('/'), {
      error: (iss) => `must be an absolute ${what} (starting with /), got ${describeInput(iss.input)}`,
    })
    .refine((p) => !/[\0\n]/.test(p), `must not contain NUL or newline characters`)
    .transform((p) => (p === '/' ? p : posix.normalize(p).replace(/\/+$/, '')));
}

/**
 * A program to run: a bare name looked up in PATH (`mount`) or an absolute path (`/usr/bin/mount`).
 * Used by `commands:` and `drbd:` so tests and the simulator can substitute their own programs.
 */
export function programName() {
  return z
    .string({ error: (iss) => `expected a program name or absolute path, got ${describeInput(iss.input)}` })
    .refine(
      (p) => p.length > 0 && !/\s/.test(p),
      'must be a program name without spaces (arguments are not allowed here)',
    )
    .refine(
      (p) => p.startsWith('/') || !p.includes('/'),
      'must be a bare program name (looked up in PATH) or an absolute path, not a relative path',
    );
}

/**
 * A command line as an argument list, run without a shell. The program must be an absolute path:
 * the daemon runs as root under systemd's PATH, and a handler that resolves differently there than
 * in the operator's shell is a handler that silently fails when it matters.
 */
export function commandLine() {
  return z
    .array(z.string({ error: 'every argument must be a string (quote numbers)' }), {
      error: (iss) =>
        `expected a command as a list, e.g. [/usr/local/bin/page, --urgent], got ${describeInput(iss.input)}`,
    })
    .min(1, 'the command must not be empty')
    .refine((argv) => (argv[0] ?? '').startsWith('/'), {
      error: 'the program (first element) must be an absolute path; the command runs without a shell',
    });
}

/** An IPv4 or IPv6 address literal (no host names: a failover path must not depend on DNS). */
export function ipAddress() {
  return z
    .string({ error: (iss) => `expected an IP address, got ${describeInput(iss.input)}` })
    .refine((s) => isIP(s) !== 0, {
      error: (iss) =>
        `${describeInput(iss.input)} is not an IPv4 or IPv6 address (host names are not allowed here)`,
    });
}

/** A floating (service) address parsed from `192.168.110.20/24@eth0`. */
export interface FloatingAddress {
  /** As written, normalized: `ADDRESS/PREFIX@INTERFACE`. */
  readonly text: string;
  readonly address: string;
  readonly family: 4 | 6;
  readonly prefixLength: number;
  readonly interface: string;
}

const IFACE_RE = /^[A-Za-z0-9_.:-]{1,15}$/;

/** Parses `ADDRESS/PREFIX@INTERFACE`. Total: returns an error message instead of throwing. Pure. */
export function parseFloatingAddress(text: string): FloatingAddress | string {
  const m = /^([^/@\s]+)\/(\d{1,3})@(\S+)$/.exec(text);
  const example = 'write ADDRESS/PREFIX@INTERFACE, e.g. 192.168.110.20/24@eth0';
  if (!m) return `${JSON.stringify(text)} is not a floating address: ${example}`;
  const [, address = '', prefix = '', iface = ''] = m;
  const family = isIP(address);
  if (family === 0) return `${JSON.stringify(address)} is not an IPv4 or IPv6 address: ${example}`;
  const prefixLength = Number(prefix);
  const max = family === 4 ? 32 : 128;
  if (prefixLength < 1 || prefixLength > max) return `prefix length /${prefix} is out of range 1..${max}`;
  if (!IFACE_RE.test(iface))
    return `${JSON.stringify(iface)} is not a network interface name (1-15 characters)`;
  return {
    text: `${address}/${prefixLength}@${iface}`,
    address,
    family: family === 4 ? 4 : 6,
    prefixLength,
    interface: iface,
  };
}

export function floatingAddress() {
  return z
    .string({ error: (iss) => `expected ADDRESS/PREFIX@INTERFACE, got ${describeInput(iss.input)}` })
    .transform((text, ctx): FloatingAddress => {
      const r = parseFloatingAddress(text);
      if (typeof r === 'string') {
        ctx.addIssue({ code: 'custom', message: r, input: text });
        return z.NEVER;
      }
      return r;
    })
    .meta({ description: 'floating address ADDRESS/PREFIX@INTERFACE, e.g. 192.168.110.20/24@eth0' });
}

/** A TCP listen address `HOST:PORT` (`127.0.0.1:9943`, `[::1]:9943`). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses `HOST:PORT` where HOST is an IP literal. Total. Pure. */
export function parseListenAddress(text: string): ListenAddress | string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const example = 'write HOST:PORT, e.g. 127.0.0.1:9943 or [::1]:9943';
  if (!m) return `${JSON.stringify(text)} is not a listen address: ${example}`;
  const host = m[1] ?? m[2] ?? '';
  if (isIP(host) === 0) return `${JSON.stringify(host)} is not an IP address: ${example}`;
  if (m[1] !== undefined && isIP(host) !== 6) return `only IPv6 addresses go in brackets: ${example}`;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `port ${m[3]} is out of range 1..65535`;
  return { host, port };
}

/** Formats a listen address back to `HOST:PORT`. Pure. */
export function formatListenAddress(a: ListenAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function listenAddress() {
  return z
    .string({ error: (iss) => `expected HOST:PORT or null, got ${describeInput(iss.input)}` })
    .transform((text, ctx): ListenAddress => {
      const r = parseListenAddress(text);
      if (typeof r === 'string') {
        ctx.addIssue({ code: 'custom', message: r, input: text });
        return z.NEVER;
      }
      return r;
    });
}

/** A node-cron expression (5 fields, or 6 with seconds first), e.g. `0 3 * * 0`. */
export function cronExpression() {
  return z
    .string({
      error: (iss) =>
        `expected a cron expression in quotes, e.g. "0 3 * * 0", got ${describeInput(iss.input)}`,
    })
    .refine((expr) => cron.validate(expr), {
      error: (iss) =>
        `${describeInput(iss.input)} is not a valid cron expression: write 5 fields "minute hour day-of-month month day-of-week", e.g. "0 3 * * 0"`,
    })
    .meta({ description: 'node-cron expression, e.g. "0 3 * * 0" (Sundays 03:00)' });
}

/** A TCP/UDP port number 1..65535. */
export function portNumber() {
  return z
    .number({ error: (iss) => `expected a port number 1..65535, got ${describeInput(iss.input)}` })
    .int('expected a whole port number')
    .min(1, 'a port is at least 1')
    .max(65535, 'a port is at most 65535');
}

/** A positive whole number. */
export function positiveInt(what: string, max = Number.MAX_SAFE_INTEGER) {
  return z
    .number({ error: (iss) => `expected ${what} (a whole number), got ${describeInput(iss.input)}` })
    .int(`expected ${what} as a whole number`)
    .min(1, `${what} must be at least 1`)
    .max(max, `${what} must be at most ${max}`);
}

/** A boolean written `true` or `false`. */
export function flag() {
  return z.boolean({ error: (iss) => `expected true or false, got ${describeInput(iss.input)}` });
}

/** One of a fixed set of words; the message lists them (check-config adds a "did you mean"). */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (iss) => `expected one of ${values.join(', ')}, got ${describeInput(iss.input)}`,
  });
}
