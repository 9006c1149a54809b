import { chmodSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './built-cli.js';

let view: string | null = null;

/**
 * Where the checkout is seen by a process run through `asNobody`: an empty directory anyone may traverse
 * (made on first use), with the checkout bound onto it. A test file removes it with `removeNobodyView`.
 */
export function nobodyView(): string {
  if (view === null) {
    const d = mkdtempSync(join(tmpdir(), 'drbd-sentinel-nobody-'));
    chmodSync(d, 0o755);
    view = `${d}/`;
  }
  return view;
}

export function removeNobodyView(): void {
  if (view !== null) rmdirSync(view);
  view = null;
}

/**
 * The command that runs `node args` as nobody (root only), in `nobodyView()`. A checkout under a 0700
 * directory (`/root`, `mktemp -d`) is out of nobody's reach, so a private mount namespace binds it onto
 * `nobodyView()`: paths into the checkout in `args` must start with `nobodyView()` instead of `REPO`.
 */
export function asNobody(args: readonly string[]): [string, string[]] {
  return [
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      'mount --bind "$1" "$2" && cd "$2" && shift 2 && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"',
      'sh',
      REPO,
      nobodyView(),
      process.execPath,
      ...args,
    ],
  ];
}
