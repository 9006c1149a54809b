/** Reads the shared real-DRBD 8.4.11 fixtures (command captures and /proc/drbd texts). */
import { readFileSync } from 'node:fs';

export const FIXTURE_DIR = '/work/shared/fixtures/drbd-8.4.11';

export interface Capture {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Parses a `--- stdout` / `--- stderr` / `rc=N` capture file. */
export function readCapture(name: string): Capture {
  const text = readFileSync(`${FIXTURE_DIR}/${name}`, 'utf8');
  const lines = text.split('\n').filter((l) => !l.startsWith('# '));
  let section: 'none' | 'stdout' | 'stderr' = 'none';
  const out: string[] = [];
  const err: string[] = [];
  let rc = -1;
  for (const l of lines) {
    if (l === '--- stdout') section = 'stdout';
    else if (l === '--- stderr') section = 'stderr';
    else if (/^rc=\d+$/.test(l)) {
      rc = Number(l.slice(3));
      section = 'none';
    } else if (section === 'stdout') out.push(l);
    else if (section === 'stderr') err.push(l);
  }
  const join = (xs: string[]) =>
    xs.length === 0 || (xs.length === 1 && xs[0] === '') ? '' : `${xs.join('\n')}\n`;
  return { stdout: join(out), stderr: join(err), exitCode: rc };
}

/** The /proc/drbd body of a fixture (without its `# ` comment lines). */
export function readProc(name: string): string {
  return readFileSync(`${FIXTURE_DIR}/${name}`, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('# '))
    .join('\n');
}
