import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/drbd, resolved from this file. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/drbd');

export function fixturePath(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export function readFixture(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), 'utf8');
}

/** Every file of a fixture folder, sorted. */
export function listFixtures(folder: string): string[] {
  return readdirSync(fixturePath(folder))
    .filter((f) => !f.startsWith('.'))
    .sort();
}

/** The value of a `# KEY: value` header line, or null. */
export function headerValue(text: string, key: string): string | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith('# ')) continue;
    const prefix = `# ${key}: `;
    if (line.startsWith(prefix)) return line.slice(prefix.length);
  }
  return null;
}

/** The `# expect: {...}` JSON of a sample. Fails loudly when missing. */
export function expectedOf(text: string, file: string): unknown {
  const v = headerValue(text, 'expect');
  if (v === null) throw new Error(`${file} has no "# expect:" line`);
  return JSON.parse(v) as unknown;
}

/** The text without its leading `# ` header lines. */
export function withoutHeader(text: string): string {
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && (lines[i] ?? '').startsWith('#')) i++;
  return lines.slice(i).join('\n');
}

/** A command capture: `--- stdout`, `--- stderr`, `rc=N` sections. */
export interface Capture {
  readonly stdout: string;
  readonly stderr: string;
  readonly rc: number;
}

export function parseCapture(text: string): Capture {
  const body = withoutHeader(text);
  const m = /--- stdout\n([\s\S]*?)--- stderr\n([\s\S]*?)rc=(\d+)\s*$/.exec(body);
  if (!m) throw new Error('not a capture with --- stdout / --- stderr / rc=N sections');
  return { stdout: m[1] ?? '', stderr: m[2] ?? '', rc: Number(m[3]) };
}
