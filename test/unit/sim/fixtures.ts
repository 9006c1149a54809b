/** Reads the shared real-DRBD 8.4.11 fixtures (command captures and /proc/drbd texts). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Where the fixtures live: `shared/` beside the clone (CI, worktrees), else this workplace's copy. */
export const FIXTURE_DIR_CANDIDATES: readonly string[] = [
  path.resolve(REPO_ROOT, '../shared/fixtures/drbd-8.4.11'),
  '/work/shared/fixtures/drbd-8.4.11',
];

/** The first candidate that exists; throws naming every path tried when none does. */
export function resolveFixtureDir(candidates: readonly string[] = FIXTURE_DIR_CANDIDATES): string {
  const found = candidates.find((d) => existsSync(d));
  if (found === undefined)
    throw new Error(
      `real DRBD 8.4.11 fixtures not found; looked in: ${candidates.join(', ')} (shared/ belongs beside the repository clone)`,
    );
  return found;
}

export const FIXTURE_DIR = resolveFixtureDir();

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
