// Replaces dist/cli/fast-path.js (tsc's output) with a one-file esbuild bundle of src/cli/fast-path.ts and
// everything it imports, yaml included; called by `npm run build` after tsc. Why: DRBD runs
// `drbd-sentinel fence-peer` inside `drbdadm primary` with I/O frozen, and Node loading ~60 separate ES
// modules costs more than the handler's work (bench/cli-startup.ts). The bundle keeps the module's place
// and exports, so dist/cli.js imports it unchanged and packageVersion() still finds ../../package.json.
import { renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(repo, 'dist', 'cli', 'fast-path.js');
await build({
  entryPoints: [join(repo, 'src', 'cli', 'fast-path.ts')],
  outfile: `${outfile}.tmp`,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  // yaml's CommonJS build calls require() for Node's own modules; an ES module has none unless it makes one.
  banner: {
    js: "import { createRequire as __sentinelRequire } from 'node:module'; const require = __sentinelRequire(import.meta.url);",
  },
});
// Renamed into place: a handler DRBD starts meanwhile never loads half a file.
renameSync(`${outfile}.tmp`, outfile);
rmSync(`${outfile}.map`, { force: true }); // tsc's map, of the file the bundle replaced
