/**
 * Lazy loading of the commands (src/cli/program.ts): a command line loads the module of the command it
 * names and nothing else, yet every help text and usage error is the one the whole command tree gives.
 * The start-up time itself is measured in bench/cli-startup.ts, not here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CommanderError } from 'commander';
import { buildProgram, commandsNeeded } from '../../../src/cli/program.js';
import { BUILT_CLI, requireBuild, run } from './built-cli.js';
import { runCaptured } from './run-captured.js';

/** Runs `args` on the whole command tree (what the CLI did before lazy loading), capturing stdout. */
async function wholeTree(args: readonly string[]): Promise<string> {
  let stdout = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    await (await buildProgram()).parseAsync(['node', 'drbd-sentinel', ...args]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
  } finally {
    out.mockRestore();
  }
  return stdout;
}

describe('which commands a command line needs', () => {
  it.each([
    [['status'], 'status'],
    [['status', '--json'], 'status'],
    [['-c', '/x.yaml', 'fence-peer'], 'fence-peer'],
    [['--config', 'status', 'unfence-peer'], 'unfence-peer'], // 'status' is -c's value
    [['--config=/x', 'sim', 'drbdadm'], 'sim'],
    [['-c/x', 'run'], 'run'],
    [['--version'], 'none'],
    [['-V'], 'none'],
    [['-Vh'], 'none'], // commander acts on -V first
    [['-c', '/x', '--version'], 'none'],
    [[], 'all'],
    [['--help'], 'all'],
    [['-h', 'status'], 'all'],
    [['help', 'status'], 'all'],
    [['frobnicate'], 'all'],
    [['--frob', 'status'], 'all'],
    [['--', 'status'], 'all'],
    [['-c'], 'all'],
  ])('%j -> %s', (args, needed) => {
    expect(commandsNeeded(args)).toBe(needed);
  });
});

describe('help texts are the whole tree’s', () => {
  it('every command’s --help, and `sim`’s and `inspect`’s subcommands', async () => {
    const top = await wholeTree(['--help']);
    expect((await runCaptured(['--help'])).stdout).toBe(top);
    const commands = [...top.matchAll(/^ {2}([a-z][a-z0-9-]*)\b/gm)]
      .map((m) => m[1] as string)
      .filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['run', 'status', 'fence-peer', 'unfence-peer', 'sim']));
    const lines = [
      ...commands.map((c) => [c, '--help']),
      ...['node', 'write', 'history', 'restart', 'fail-disk'].map((s) => ['sim', s, '--help']),
      ['inspect', 'proc-drbd', '--help'],
      ['-c', '/nonexistent.yaml', 'status', '--help'],
    ];
    for (const args of lines) {
      const lazy = await runCaptured(args);
      expect(lazy.code, args.join(' ')).toBe(0);
      expect(lazy.stdout, args.join(' ')).toBe(await wholeTree(args));
    }
  });
});

describe('what the hot paths load (node dist/cli.js)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-lazy-'));
  const hook = join(dir, 'hook.mjs');
  const register = join(dir, 'register.mjs');
  beforeAll(() => {
    requireBuild();
    writeFileSync(
      hook,
      'export async function load(url, context, next) { process.stderr.write(`LOADED ${url}\\n`); return next(url, context); }\n',
    );
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hook}`)});\n`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The packages and project modules a command line loads (ESM loads; a CommonJS package shows by its entry). */
  const loaded = (args: readonly string[], env: NodeJS.ProcessEnv = {}) => {
    const r = run(process.execPath, ['--import', register, BUILT_CLI, ...args], { ...process.env, ...env });
    const urls = [...r.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1] as string);
    const packages = new Set(urls.flatMap((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));
    const modules = urls.filter((u) => u.includes('/dist/')).map((u) => u.slice(u.indexOf('/dist/') + 6));
    return { packages: [...packages].sort(), modules, code: r.code };
  };
  const drbdEnv = {
    DRBD_RESOURCE: 'r0',
    DRBD_MINOR: '1',
    DRBD_PEER_ADDRESS: '10.0.0.2',
    DRBD_PEER_AF: 'ipv4',
  };

  // fence-peer, unfence-peer, status and --version take the fast path: src/cli.ts, fast-args.js and the
  // one-file bundle the build makes of fast-path.js (yaml inside), no package from node_modules.
  const FAST = ['cli.js', 'cli/fast-args.js', 'cli/fast-path.js'];

  it('--version: the fast path, no commander', () => {
    const l = loaded(['--version']);
    expect(l.code).toBe(0);
    expect(l.packages).toEqual([]);
    expect(l.modules).toEqual(FAST);
  });

  it('fence-peer and unfence-peer as DRBD runs them: one bundled module, no package, no commander', () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `control:\n  socket: ${join(dir, 'none.sock')}\n`);
    for (const cmd of ['fence-peer', 'unfence-peer']) {
      const l = loaded([cmd, '-c', config], drbdEnv);
      expect(l.code, cmd).toBe(cmd === 'fence-peer' ? 1 : 0); // no daemon listens
      expect(l.packages, cmd).toEqual([]);
      expect(l.modules, cmd).toEqual(FAST);
    }
  });

  it('the bundled fast path reads control.socket from the configuration (its yaml is inside)', () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `control:\n  socket: ${join(dir, 'elsewhere.sock')}\n`);
    const r = run(process.execPath, [BUILT_CLI, 'fence-peer', '-c', config], { ...process.env, ...drbdEnv });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(dir, 'elsewhere.sock'));
  });

  it('status: the fast path too', () => {
    const l = loaded(['status', '--socket', join(dir, 'none.sock')]);
    expect(l.code).toBe(1);
    expect(l.packages).toEqual([]);
    expect(l.modules).toEqual(FAST);
  });

  it('status --help: commander and the status module', () => {
    const l = loaded(['status', '--help']);
    expect(l.code).toBe(0);
    expect(l.packages).toEqual(['commander', 'yaml']);
    expect(l.modules.filter((m) => m.startsWith('cli/'))).toEqual(
      expect.arrayContaining(['cli/program.js', 'cli/status.js']),
    );
  });

  it('the simulator’s Node stand-ins: not the simulator model', () => {
    const l = loaded(['sim', 'drbdadm', '--', 'role', 'r0'], { DRBD_SIM_DIR: join(dir, 'none') });
    expect(l.code).toBe(1);
    expect(l.packages).toEqual(['commander']);
    expect(l.modules.filter((m) => m.startsWith('sim/'))).toEqual(['sim/process/control-client.js']);
  });

  it('the whole tree still loads for --help', () => {
    const l = loaded(['--help']);
    expect(l.packages).toEqual(expect.arrayContaining(['commander', 'zod', 'pino', 'prom-client', 'yaml']));
  });
});
