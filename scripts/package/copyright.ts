// Writes the machine-readable copyright file (DEP-5) of the package: drbd-sentinel itself and every
// npm package esbuild put into the bundle (read from the bundle's metafile), with their license texts.
// Usage: tsx scripts/package/copyright.ts META_JSON OUTFILE
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [metaFile, outFile] = process.argv.slice(2);
if (metaFile === undefined || outFile === undefined) {
  console.error('usage: copyright.ts META_JSON OUTFILE');
  process.exit(2);
}

interface Pkg {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  readonly author: string | null;
  readonly licenseText: string;
}

const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { inputs: Record<string, unknown> };
const names = new Set<string>();
for (const input of Object.keys(meta.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) names.add(m[1] as string);
}

function authorOf(p: { author?: string | { name?: string } }): string | null {
  if (typeof p.author === 'string') return p.author;
  return p.author?.name ?? null;
}

const pkgs: Pkg[] = [...names].sort().map((name) => {
  const dir = join(repo, 'node_modules', name);
  const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    version: string;
    license?: string;
    author?: string | { name?: string };
  };
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  if (p.license === undefined || file === undefined)
    throw new Error(`${name}: no license field or LICENSE file: cannot ship it without its terms`);
  return {
    name,
    version: p.version,
    license: p.license,
    author: authorOf(p),
    licenseText: readFileSync(join(dir, file), 'utf8').trim(),
  };
});

/** DEP-5 continuation lines: one leading space, an empty line as " .". */
const indent = (text: string): string =>
  text
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l.trimEnd()}`))
    .join('\n');

const own = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { license: string };
const licenseFile = join(repo, 'LICENSE');
const mit = existsSync(licenseFile)
  ? readFileSync(licenseFile, 'utf8').trim()
  : readFileSync(join(repo, 'node_modules', 'zod', 'LICENSE'), 'utf8')
      .trim()
      .replace(/^Copyright .*$/m, 'Copyright (c) drbd-sentinel contributors');

const licenses = [...new Set(pkgs.map((p) => p.license))].sort();
/** Where Debian ships the text itself (lintian prefers the reference for these). */
const COMMON_LICENSES: Readonly<Record<string, string>> = { 'Apache-2.0': 'Apache-2.0' };
const textOf = (license: string): string => {
  const common = COMMON_LICENSES[license];
  if (common !== undefined)
    return `On Debian systems, the full text of the ${license} license is in /usr/share/common-licenses/${common}.`;
  if (license === own.license) return mit;
  const first = pkgs.find((p) => p.license === license) as Pkg;
  return first.licenseText;
};

const paragraphs = [
  [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    'Upstream-Name: drbd-sentinel',
  ].join('\n'),
  ['Files: *', 'Copyright: drbd-sentinel contributors', `License: ${own.license}`].join('\n'),
  [
    'Files: usr/lib/drbd-sentinel/dist/bundle/drbd-sentinel.mjs',
    `Copyright: drbd-sentinel contributors`,
    ...pkgs.map((p) => `           ${p.author ?? `the ${p.name} authors`} (${p.name})`),
    `License: ${[...new Set([own.license, ...licenses])].join(' and ')}`,
    'Comment: The program is one file bundled by esbuild. It contains these npm packages,',
    ' each under its own license, whose notices follow:',
    ...pkgs.flatMap((p) => [
      ' .',
      ` ${p.name} ${p.version} (${p.license}):`,
      ' .',
      indent(
        COMMON_LICENSES[p.license] === undefined ? p.licenseText : `see the ${p.license} paragraph below`,
      ),
    ]),
  ].join('\n'),
  ...[...new Set([own.license, ...licenses])].map((l) => [`License: ${l}`, indent(textOf(l))].join('\n')),
];
writeFileSync(outFile, `${paragraphs.join('\n\n')}\n`);
console.log(`copyright: drbd-sentinel and ${pkgs.length} bundled packages`);
