import { readFileSync } from 'node:fs';

/** This package's version, from package.json (two levels above this file in src/ and in dist/). */
export function packageVersion(): string {
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}
