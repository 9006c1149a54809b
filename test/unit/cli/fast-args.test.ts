/**
 * The command lines the CLI runs without commander (src/cli/fast-args.ts): which ones, and that commander
 * reads each of them the same way (the same options reach the same action). Everything else must go to
 * commander, which owns help texts and usage errors. Speed: bench/cli-startup.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, fastCommand } from '../../../src/cli/fast-args.js';
import { buildProgram } from '../../../src/cli/program.js';

const D = DEFAULT_CONFIG_PATH;

describe('fastCommand', () => {
  it.each([
    [['--version'], { kind: 'version' }],
    [['-V'], { kind: 'version' }],
    [['fence-peer'], { kind: 'fence-peer', config: D, timeout: '120s' }],
    [['unfence-peer'], { kind: 'unfence-peer', config: D, timeout: '10s' }],
    [['fence-peer', '-c', '/e/c.yaml'], { kind: 'fence-peer', config: '/e/c.yaml', timeout: '120s' }],
    [['-c', '/e/c.yaml', 'fence-peer'], { kind: 'fence-peer', config: '/e/c.yaml', timeout: '120s' }],
    [['--config=/a', 'fence-peer', '-c/b'], { kind: 'fence-peer', config: '/b', timeout: '120s' }],
    [
      ['fence-peer', '--socket', '/s', '--timeout=5s'],
      { kind: 'fence-peer', config: D, socket: '/s', timeout: '5s' },
    ],
    [
      ['unfence-peer', '--socket=/s', '--timeout', '1s', '--timeout', '2s'],
      { kind: 'unfence-peer', config: D, socket: '/s', timeout: '2s' },
    ],
    [['status'], { kind: 'status', config: D, json: false }],
    [['status', '--json', '--socket', '/s'], { kind: 'status', config: D, socket: '/s', json: true }],
    [['--config', '/x', 'status', '--json'], { kind: 'status', config: '/x', json: true }],
    [['status', '--socket='], { kind: 'status', config: D, socket: '', json: false }],
  ])('%j', (args, expected) => {
    expect(fastCommand(args)).toEqual(expected);
  });

  it.each([
    [[]],
    [['--help']],
    [['fence-peer', '--help']],
    [['fence-peer', '-h']],
    [['help', 'fence-peer']],
    [['-V', 'status']],
    [['--version', '--version']],
    [['run']],
    [['fence-peer', 'r0']], // commander: too many arguments
    [['fence-peer', 'status']],
    [['fence-peer', '--socket']], // missing value
    [['fence-peer', '--timeout']],
    [['fence-peer', '-c']],
    [['fence-peer', '--socket', '-x']],
    [['fence-peer', '--json']],
    [['status', '--timeout', '1s']],
    [['--socket', '/s', 'fence-peer']], // a command's option before the command
    [['--json', 'status']],
    [['status', '--json=yes']],
    [['fence-peer', '--sock', '/s']],
    [['fence-peer', '--']],
    [['--', 'fence-peer']],
    [['fence-peer', '-x']],
  ])('%j goes to commander', (args) => {
    expect(fastCommand(args)).toBeNull();
  });
});

/** The options commander hands the named command's action for `args`. */
async function commanderReads(args: readonly string[]): Promise<Record<string, unknown>> {
  const program = await buildProgram(args);
  let seen: Record<string, unknown> | null = null;
  for (const c of program.commands)
    c.action((_o: unknown, cmd: Command) => {
      seen = { command: cmd.name(), ...cmd.optsWithGlobals() };
    });
  await program.parseAsync(['node', 'drbd-sentinel', ...args]);
  if (seen === null) throw new Error(`no action ran for ${args.join(' ')}`);
  return seen;
}

describe('commander reads every fast command line the same way', () => {
  it.each([
    [['fence-peer']],
    [['unfence-peer']],
    [['fence-peer', '-c', '/e/c.yaml']],
    [['-c', '/e/c.yaml', 'unfence-peer', '--timeout', '3s']],
    [['--config=/a', 'fence-peer', '-c/b', '--socket=/s']],
    [['fence-peer', '--socket', '/s', '--timeout=5s', '--config', '/c']],
    [['unfence-peer', '--socket=/s', '--timeout', '1s', '--timeout', '2s']],
    [['status']],
    [['status', '--json', '--socket', '/s']],
    [['--config', '/x', 'status', '--json', '--json']],
    [['status', '--socket=']],
  ])('%j', async (args) => {
    const fast = fastCommand(args);
    if (fast === null) throw new Error('not a fast command line');
    const { kind, ...fastOptions } = fast;
    const { command, ...options } = await commanderReads(args);
    expect(command).toBe(kind);
    // commander leaves an absent boolean undefined; the fast path says false.
    if (kind === 'status' && options.json === undefined) options.json = false;
    expect(fastOptions).toEqual(options);
  });
});
