/**
 * The simulator's stand-ins (scripts/sim/drbdadm, drbdsetup, mount, umount, fuser) through both of their
 * clients: the C client (dist/sim-client, as `npm run build` makes it, and a copy built here with
 * AddressSanitizer and UBSan) and the Node fallback (`dist/cli.js sim ...`). Every command the simulator
 * supports, its refusals and usage errors, an events2 stream, and a fake node (the control socket's port)
 * that answers what a real node never would: each client must print byte for byte the same stdout and
 * stderr and end with the same exit code.
 *
 * The wrappers themselves are run, copied into three trees whose dist/ holds the C client or not, so the
 * test also covers the wrappers' choice of client.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../../', import.meta.url).pathname;
const CLI = join(ROOT, 'dist/cli.js');
const FAST = join(ROOT, 'dist/sim-client');
const WRAPPERS = ['drbdadm', 'drbdsetup', 'mount', 'umount', 'fuser'] as const;
type Wrapper = (typeof WRAPPERS)[number];

interface Run {
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const work = mkdtempSync(join(tmpdir(), 'sim-fast-client-'));
/** The client trees: scripts/sim wrappers beside a dist/ with or without a sim-client. */
const clients = { node: join(work, 'node'), c: join(work, 'c'), asan: join(work, 'asan') } as const;
type Client = keyof typeof clients;
const CLIENTS = Object.keys(clients) as Client[];
const processes: ChildProcess[] = [];

function buildTrees(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  if (!existsSync(FAST))
    throw new Error(
      `${FAST} is missing: \`npm run build\` builds it with gcc (scripts/install-deps.sh installs it)`,
    );
  for (const [name, tree] of Object.entries(clients)) {
    mkdirSync(join(tree, 'scripts/sim'), { recursive: true });
    mkdirSync(join(tree, 'dist'));
    for (const w of WRAPPERS) copyFileSync(join(ROOT, 'scripts/sim', w), join(tree, 'scripts/sim', w));
    symlinkSync(CLI, join(tree, 'dist/cli.js'));
    if (name === 'c') symlinkSync(FAST, join(tree, 'dist/sim-client'));
  }
  // The same source with every warning an error and the sanitizers on: a buffer overrun, a leak on an
  // error path that matters, or undefined behaviour ends the run with a report on stderr.
  execFileSync('gcc', [
    '-O1',
    '-g',
    '-std=c11',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-Wshadow',
    '-Wconversion',
    '-fsanitize=address,undefined',
    '-fno-sanitize-recover=all',
    '-fno-omit-frame-pointer',
    '-o',
    join(clients.asan, 'dist/sim-client'),
    join(ROOT, 'scripts/sim/sim-client.c'),
  ]);
}

/** Runs a wrapper of one client tree; `env` replaces DRBD_SIM_DIR (undefined: unset). */
function runWrapper(
  client: Client,
  wrapper: Wrapper,
  args: readonly string[],
  simDir: string | undefined,
  options: { readonly argvBytes?: boolean } = {},
): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' };
  delete env.DRBD_SIM_DIR;
  if (simDir !== undefined) env.DRBD_SIM_DIR = simDir;
  const path = join(clients[client], 'scripts/sim', wrapper);
  // argvBytes: the arguments are printf(1) formats, for bytes a JS string cannot carry (invalid UTF-8).
  const argv = options.argvBytes
    ? ['/bin/sh', '-c', `exec "$0" ${args.map((_, i) => `"$(printf '${args[i]}')"`).join(' ')}`, path]
    : [path, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), code, signal }),
    );
  });
}

const show = (r: Run) => ({
  stdout: r.stdout.toString('latin1'),
  stderr: r.stderr.toString('latin1'),
  code: r.code,
  signal: r.signal,
});

/** Runs one command through every client, one after the other, and requires identical results. */
async function same(
  wrapper: Wrapper,
  args: readonly string[],
  simDir: string | undefined,
  options: { readonly argvBytes?: boolean } = {},
): Promise<Run> {
  const runs: Partial<Record<Client, Run>> = {};
  for (const c of CLIENTS) runs[c] = await runWrapper(c, wrapper, args, simDir, options);
  const base = runs.node as Run;
  for (const c of CLIENTS)
    expect(show(runs[c] as Run), `${c}: ${wrapper} ${args.join(' ')}`).toEqual(show(base));
  return base;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function until(what: string, f: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const simDir = (n: string) => join(work, 'sim', n);
const proc = (n: string) => {
  try {
    return readFileSync(join(simDir(n), 'proc-drbd'), 'utf8');
  } catch {
    return '';
  }
};

function startSimNode(
  dir: string,
  name: string,
  peerName: string,
  listen: number,
  peer: number,
): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'sim',
      'node',
      '--dir',
      dir,
      '--name',
      name,
      '--peer-name',
      peerName,
      '--listen',
      `127.0.0.1:${listen}`,
      '--peer',
      `127.0.0.1:${peer}`,
      '--ping-int-ms',
      '500',
      '--connect-int-ms',
      '300',
      '--size-kib', // an online verify in well under a second
      '8192',
    ],
    { stdio: 'ignore' },
  );
  processes.push(child);
  return child;
}

const CONNECTED = 'cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate';
const settled = () =>
  until(
    'alpha and bravo Connected, Secondary, UpToDate',
    () => proc('a').includes(CONNECTED) && proc('b').includes(CONNECTED),
  );

beforeAll(async () => {
  buildTrees();
  const [pa, pb, ps, pz] = [await freePort(), await freePort(), await freePort(), await freePort()];
  startSimNode(simDir('a'), 'alpha', 'bravo', pa, pb);
  startSimNode(simDir('b'), 'bravo', 'alpha', pb, pa);
  // A node whose peer never comes: for the events2 streams, which end only when their node stops.
  startSimNode(simDir('solo'), 'solo', 'nobody', ps, pz);
  await settled();
  await until('solo up', () => proc('solo').includes('cs:WFConnection'));
}, 60_000);

afterAll(() => {
  for (const p of processes) p.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('the C stand-in client and the Node fallback print the same', () => {
  it('queries, refusals and usage errors of drbdadm, drbdsetup, mount, umount, fuser', async () => {
    const a = simDir('a');
    for (const args of [
      ['role', 'r0'],
      ['cstate', 'r0'],
      ['dstate', 'r0'],
      ['sh-minor', 'r0'],
      ['get-gi', 'r0'],
      ['show-gi', 'r0'],
      ['role', 'all'],
      ['role', 'r0/0'],
      ['dump-xml'],
      ['role'],
      [],
      ['role', 'nosuch'],
      ['frobnicate', 'r0'],
      ['create-md', 'r0'], // refused while up
      ['resume-io', 'r0'],
      ['outdate', 'r0'], // connected: a silent no-op
      ['adjust', 'r0'],
      ['up', 'r0'],
      ['attach', 'r0'],
      ['connect', 'r0'],
      ['--', '--discard-my-data', 'connect', 'r0'],
      ['--force', 'role', 'r0'],
    ])
      await same('drbdadm', args, a);
    for (const args of [
      ['role', '1'],
      ['role', 'r0'],
      ['cstate', '1'],
      ['dstate', '1'],
      ['get-gi', '1'],
      ['show-gi', '1'],
      ['role', '7'],
      [],
      ['frobnicate'],
      ['events2', '--now', 'all'],
      ['events2', '--now', '--statistics', 'r0'],
      ['events2', '--poll', 'r0'], // streaming path, answered by a result (rc 20)
      ['events2', '--full', 'r0'],
      ['resume-io', '1'],
      ['connect', '1'],
    ])
      await same('drbdsetup', args, a);
    await same('mount', ['/dev/drbd1', '/mnt/r0'], a); // Secondary: refused
    await same('mount', [], a);
    await same('umount', ['/mnt/r0'], a);
    await same('umount', [], a);
    await same('fuser', ['-m', '/mnt/r0'], a);
    await same('fuser', ['-km', '/mnt/r0'], a);
    await same('fuser', [], a);
  }, 240_000);

  it('state changes, each cycle run by every client in turn', async () => {
    const [a, b] = [simDir('a'), simDir('b')];
    const cycles: readonly (readonly [Wrapper, string, readonly string[]])[][] = [
      [
        ['drbdadm', a, ['primary', 'r0']],
        ['drbdadm', a, ['role', 'r0']],
        ['drbdadm', b, ['primary', 'r0']], // Multiple primaries not allowed
        ['mount', a, ['/dev/drbd1', '/mnt/r0']],
        ['mount', a, ['/dev/drbd1', '/mnt/r0']], // already mounted
        ['fuser', a, ['-m', '/mnt/r0']],
        ['drbdadm', a, ['secondary', 'r0']], // held open
        ['umount', a, ['/mnt/r0']],
        ['drbdadm', a, ['secondary', 'r0']],
      ],
      [
        ['drbdsetup', a, ['primary', '1']],
        ['drbdsetup', a, ['role', '1']],
        ['drbdsetup', a, ['secondary', 'r0']],
      ],
      [
        ['drbdadm', a, ['disconnect', 'r0']],
        ['drbdadm', a, ['cstate', 'r0']],
        ['drbdadm', a, ['outdate', 'r0']],
        ['drbdadm', a, ['dstate', 'r0']],
        ['drbdadm', a, ['connect', 'r0']],
      ],
      [
        ['drbdadm', a, ['verify', 'r0']], // a second one races with the end of the first
      ],
      [
        ['drbdsetup', a, ['disconnect', '1']],
        ['drbdsetup', a, ['connect', '1']],
      ],
      [
        ['drbdadm', a, ['detach', 'r0']],
        ['drbdadm', a, ['dstate', 'r0']],
        ['drbdsetup', a, ['dstate', '1']],
        ['drbdadm', a, ['attach', 'r0']],
      ],
      [
        ['drbdadm', a, ['down', 'r0']],
        ['drbdadm', a, ['role', 'r0']],
        ['drbdsetup', a, ['role', '1']],
        ['drbdsetup', a, ['events2', '--now', 'all']],
        ['drbdadm', a, ['up', 'r0']],
      ],
      [
        ['drbdsetup', a, ['down', 'r0']],
        ['drbdadm', a, ['adjust', 'r0']],
      ],
    ];
    for (const cycle of cycles) {
      const runs: Partial<Record<Client, Run[]>> = {};
      for (const c of CLIENTS) {
        const mine: Run[] = [];
        for (const [w, dir, args] of cycle) mine.push(await runWrapper(c, w, args, dir));
        runs[c] = mine;
        await settled();
      }
      for (const c of CLIENTS)
        cycle.forEach(([w, , args], i) =>
          expect(show((runs[c] as Run[])[i] as Run), `${c}: ${w} ${args.join(' ')}`).toEqual(
            show((runs.node as Run[])[i] as Run),
          ),
        );
    }
  }, 300_000);

  it('arguments with quotes, escapes, control characters, non-ASCII, invalid UTF-8 and 100 KB', async () => {
    const a = simDir('a');
    for (const name of [
      'we"ird\\name',
      'tab\there',
      'new\nline',
      '\u0001\u001f\u007f',
      'é ü — 😀',
      '',
      'x'.repeat(100_000),
    ]) {
      const r = await same('drbdadm', ['role', name], a);
      expect(r.code).toBe(10);
      expect(r.stderr.toString('utf8')).toContain(`'${name}' not defined`);
    }
    // Bytes that are not UTF-8: each client turns them into U+FFFD the same way.
    const r = await same('drbdadm', ['role', 'a\\377b\\300\\200c'], a, { argvBytes: true });
    expect(r.code).toBe(10);
  }, 120_000);

  it('no DRBD_SIM_DIR, no node, a socket nobody listens on, relative and unnormalized directories', async () => {
    await same('drbdadm', ['role', 'r0'], undefined); // usage error, exit 2
    await same('drbdadm', ['role', 'r0'], '');
    for (const dir of [join(work, 'none'), `${work}/x/../none//y/.`, 'a/../../b', '.', '/'])
      expect((await same('drbdadm', ['role', 'r0'], dir)).code).toBe(1);
    await same('drbdsetup', ['events2', 'all'], join(work, 'none')); // a stream: silent, exit 0
    // ECONNREFUSED: the socket file of a node that was killed.
    const dead = join(work, 'dead');
    mkdirSync(dead);
    const holder = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(join(dead, 'ctl.sock'))}, () => console.log('up'))`,
    ]);
    await new Promise((r) => holder.stdout.once('data', r));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const r = await same('drbdadm', ['role', 'r0'], dead);
    expect(r.stderr.toString()).toContain('ECONNREFUSED');
  }, 120_000);

  it('an events2 stream: the same lines, then exit 0 when the node stops; a stream whose reader went away ends', async () => {
    const solo = simDir('solo');
    const streams = CLIENTS.map((c) => {
      const env = { ...process.env, DRBD_SIM_DIR: solo, ASAN_OPTIONS: 'detect_leaks=0' };
      const child = spawn(join(clients[c], 'scripts/sim/drbdsetup'), ['events2', '--statistics', 'all'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      const done = new Promise<Run>((resolve) =>
        child.on('close', (code, signal) =>
          resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(err), code, signal }),
        ),
      );
      return { child, out, done };
    });
    // The reader of this one goes away after its first line: the client must end, not stream into nothing.
    const orphan = ['c', 'asan', 'node'].map((c) => {
      const child = spawn(join(clients[c as Client], 'scripts/sim/drbdsetup'), ['events2', 'all'], {
        env: { ...process.env, DRBD_SIM_DIR: solo, ASAN_OPTIONS: 'detect_leaks=0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const gone = new Promise<void>((r) => child.stdout.once('data', () => r()));
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        child.on('exit', (code, signal) => r({ code, signal })),
      );
      return { client: c, child, gone, ended };
    });
    await Promise.all(orphan.map((o) => o.gone));
    for (const o of orphan) o.child.stdout.destroy();
    await until('every stream started', () =>
      streams.every((s) => Buffer.concat(s.out).includes('exists -')),
    );
    // A long stream: 60 role changes, each a few events2 lines.
    for (let i = 0; i < 30; i++) {
      await runWrapper('c', 'drbdadm', ['primary', 'r0'], solo);
      await runWrapper('c', 'drbdadm', ['secondary', 'r0'], solo);
    }
    await until('every stream saw the last change', () =>
      streams.every((s) => Buffer.concat(s.out).toString().split('role:Secondary').length - 1 >= 30),
    );
    const ends = await Promise.all(orphan.map((o) => o.ended));
    for (const [i, e] of ends.entries()) {
      // C: SIGPIPE (its default); Node: EPIPE on stdout ends the process with 1.
      expect(e.signal === 'SIGPIPE' || e.code === 1, `${orphan[i]?.client}: ${JSON.stringify(e)}`).toBe(true);
    }
    const node = processes[2] as ChildProcess;
    node.kill('SIGTERM');
    const runs = await Promise.all(streams.map((s) => s.done));
    expect(runs[0]?.code).toBe(0);
    expect(runs[0]?.stdout.toString().split('\n').length).toBeGreaterThan(60);
    for (const r of runs) expect(show(r)).toEqual(show(runs[0] as Run));
  }, 180_000);
});

/** A fake node: answers each request with the lines of `script` (chunked), then closes or stays open. */
interface Script {
  readonly chunks: readonly string[];
  readonly close?: boolean;
}

describe('against a fake node: escapes, partial reads, odd answers, long streams', () => {
  const dir = join(work, 'fake');
  let script: Script = { chunks: [] };
  const requests: unknown[] = [];
  let server: net.Server;

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    server = net.createServer((sock) => {
      let buf = '';
      sock.on('error', () => undefined);
      sock.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        if (!buf.includes('\n')) return;
        requests.push(JSON.parse(buf.slice(0, buf.indexOf('\n'))));
        const chunks = [...script.chunks];
        const next = () => {
          const c = chunks.shift();
          if (c === undefined) {
            if (script.close !== false) sock.end();
            return;
          }
          sock.write(c, () => setImmediate(next));
        };
        next();
      });
    });
    await new Promise<void>((r) => server.listen(join(dir, 'ctl.sock'), () => r()));
  });

  afterAll(() => server.close());

  /** Splits `text` into pieces of 1..max bytes (deterministic). */
  const chop = (text: string, max: number): string[] => {
    const out: string[] = [];
    let seed = 7;
    for (let i = 0; i < text.length;) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const n = 1 + (seed % max);
      out.push(text.slice(i, i + n));
      i += n;
    }
    return out;
  };
  const answer = (o: unknown) => `${JSON.stringify(o)}\n`;

  it('results with every JSON escape, surrogates, NUL, exit codes modulo 256', async () => {
    const texts = [
      'plain\n',
      'quote " backslash \\ slash / \b \f \r \t \u0000 \u001b end',
      'é ü — 😀 \ud800 lone \udc00 surrogates',
      '',
    ];
    for (const [i, t] of texts.entries())
      for (const exitCode of [0, 1, 10, 20, 255, 256, -1, 1000]) {
        script = { chunks: [answer({ result: { stdout: t, stderr: texts[(i + 1) % 4], exitCode } })] };
        const r = await same('drbdadm', ['role', 'r0'], dir);
        expect(r.code).toBe(((exitCode % 256) + 256) % 256);
      }
    // Hand-written JSON: whitespace, \u escapes in both cases, a surrogate pair, duplicate keys, unknown keys.
    script = {
      chunks: [
        ' { "x" : [1, {"y": null}, true, false, -1.5e3] , "result" : { "stdout" : "a\\u00E9\\ud83d\\ude00\\/" ,' +
          ' "stdout": "second wins\\n", "stderr":"\\u0041\\t", "exitCode" : 3 , "extra": {} } } \n',
      ],
    };
    expect((await same('drbdadm', ['role', 'r0'], dir)).stdout.toString()).toBe('second wins\n');
  }, 120_000);

  it('answers split into single bytes, a 2 MB answer in random pieces, line messages before a result', async () => {
    script = { chunks: chop(answer({ result: { stdout: 'tiny\n', stderr: 'e\n', exitCode: 4 } }), 1) };
    await same('drbdadm', ['role', 'r0'], dir);
    // \u escapes on the wire only: the Node client decodes each read as UTF-8 on its own.
    const big = Array.from({ length: 40_000 }, (_, i) => `line ${i} "q" \\ \t \u00e9\n`).join('');
    script = {
      chunks: chop(
        answer({ result: { stdout: big, stderr: '', exitCode: 0 } }).replace(/é/g, '\\u00e9'),
        70_000,
      ),
    };
    expect((await same('drbdadm', ['role', 'r0'], dir)).stdout.toString()).toBe(big);
    script = {
      chunks: [answer({ line: 'ignored' }), answer({ result: { stdout: 'r\n', stderr: '', exitCode: 0 } })],
    };
    expect((await same('drbdadm', ['role', 'r0'], dir)).stdout.toString()).toBe('r\n');
  }, 120_000);

  it('errors, bad answers, a node that closes without answering', async () => {
    for (const chunks of [
      [answer({ error: 'boom "quoted" é \u0000 nul' })],
      [answer({ error: '' })],
      ['{not json\n'],
      ['{"result":'],
      [],
    ]) {
      script = { chunks };
      expect((await same('drbdadm', ['role', 'r0'], dir)).code).toBe(1);
    }
  }, 120_000);

  it('events2 streams: 20,000 lines in random pieces; an error, a result, a bad line', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `change resource name:r0 seq:${i} "x" \\`);
    script = { chunks: chop(lines.map((l) => answer({ line: l })).join(''), 5000) };
    const r = await same('drbdsetup', ['events2', 'all'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe(lines.map((l) => `${l}\n`).join(''));
    for (const chunks of [
      [answer({ line: 'exists -' }), answer({ error: 'gone' })],
      [answer({ result: { stdout: 'o\n', stderr: 'bad --poll\n', exitCode: 20 } })],
      [answer({ result: { ok: true } })],
      [answer({ line: 'one' }), '{bad\n'],
    ]) {
      script = { chunks };
      await same('drbdsetup', ['events2', 'all'], dir);
    }
  }, 120_000);

  it('sends the arguments exactly (the node parses the same request from both clients)', async () => {
    script = { chunks: [answer({ result: { stdout: '', stderr: '', exitCode: 0 } })] };
    const args = ['we"ird\\', '\n\t\u0001', 'é😀', '', '--', '-x'];
    requests.length = 0;
    await same('mount', args, dir);
    expect(requests).toEqual(CLIENTS.map(() => ({ op: 'mount', args })));
  }, 60_000);

  it('the C client refuses an answer line longer than 16 MiB instead of growing without bound', async () => {
    script = { chunks: [`{"result":{"stdout":"${'x'.repeat(17 << 20)}`], close: false };
    for (const c of ['c', 'asan'] as const) {
      const r = await runWrapper(c, 'drbdadm', ['role', 'r0'], dir);
      expect(show(r)).toEqual({
        stdout: '',
        stderr: 'drbd-sentinel: bad answer from the simulated node (a line longer than 16 MiB)\n',
        code: 1,
        signal: null,
      });
    }
  }, 60_000);
});
