// Bundles the CLI into one ESM file for the packages: dist/bundle/drbd-sentinel.mjs (+ meta.json).
// Usage: tsx scripts/package/bundle.ts [OUTDIR]   (npm run bundle)
//
// One file means an installed program needs no node_modules, and an upgrade that replaces the file
// under a running daemon cannot leave it half old, half new: every module, including the subcommands
// loaded lazily with import(), is inside (esbuild inlines a dynamic import of a static path).
// The file sits two levels below the package root like dist/common/version.js does, so
// packageVersion() finds ../../package.json in the repository and in the installed tree alike.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import type * as Protobuf from 'protobufjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outdir = resolve(process.argv[2] ?? join(repo, 'dist', 'bundle'));
const outfile = join(outdir, 'drbd-sentinel.mjs');
mkdirSync(outdir, { recursive: true });

// etcd3 (the arbiter's client, loaded only when an arbiter is configured) reads its gRPC service
// definition from ../proto/rpc.proto next to its own file at load time. Inside one ESM file there is no
// such file and no __dirname: inline the parsed definition and load it with proto-loader's fromJSON.
const etcdProtoInline: Plugin = {
  name: 'etcd3-proto-inline',
  setup(b) {
    b.onLoad({ filter: /etcd3[\\/]lib[\\/]connection-pool\.js$/ }, (args) => {
      const req = createRequire(args.path);
      const protobuf = req('protobufjs') as typeof Protobuf;
      const root = new protobuf.Root();
      root.loadSync(join(dirname(args.path), '..', 'proto', 'rpc.proto'), { keepCase: true });
      const source = readFileSync(args.path, 'utf8');
      const call = /\(0, proto_loader_1\.loadSync\)\(`\$\{__dirname\}\/\.\.\/proto\/rpc\.proto`, \{/;
      if (!call.test(source)) throw new Error(`bundle: ${args.path} no longer loads rpc.proto as expected`);
      const json = JSON.stringify(root.toJSON());
      return { contents: source.replace(call, `(0, proto_loader_1.fromJSON)(${json}, {`), loader: 'js' };
    });
  },
};

const result = await build({
  entryPoints: [join(repo, 'src', 'cli.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [etcdProtoInline],
  // The CommonJS dependencies (pino, prom-client, ...) call require() for Node's own modules; an
  // ESM bundle has no require unless it makes one.
  banner: {
    js: "import { createRequire as __sentinelRequire } from 'node:module'; const require = __sentinelRequire(import.meta.url);",
  },
});
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));

// Anything left outside the bundle but Node's own modules would be missing on an installed node.
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const outside = Object.values(result.metafile.outputs)
  .flatMap((o) => o.imports)
  .filter((i) => i.external && !builtins.has(i.path))
  .map((i) => i.path);
if (outside.length > 0) {
  console.error(`bundle: imports left outside the bundle: ${[...new Set(outside)].join(', ')}`);
  process.exit(1);
}
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`bundle: ${outfile} (${Math.round(bytes / 1024)} KiB)`);
