import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EXIT } from '../common/errors.js';
import { inspectEvents2Text, inspectProcDrbdText } from '../drbd/inspect.js';
import { CliExit } from './program-exit.js';

function readInput(file: string | undefined): string {
  const path = file === undefined || file === '-' ? 0 : file;
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliExit(EXIT.FAILURE, `cannot read ${file ?? 'stdin'}: ${(e as Error).message}`);
  }
}

function print(result: ReturnType<typeof inspectProcDrbdText>, what: string): void {
  if (!result.ok) throw new CliExit(EXIT.FAILURE, `${what}: ${result.error}`);
  process.stdout.write(`${JSON.stringify(result.value, null, 2)}\n`);
}

/**
 * `drbd-sentinel inspect proc-drbd [FILE|-]` and `inspect events2 [FILE|-]`: print what the daemon
 * would see, as JSON `{"version": ..., "devices": [...]}`; exit 1 naming the line it cannot parse.
 */
export function registerInspectCommand(program: Command): void {
  const inspect = program
    .command('inspect')
    .description('show how the daemon reads DRBD output (normalized JSON)');
  inspect
    .command('proc-drbd')
    .argument('[file]', 'a /proc/drbd capture, or - for stdin', '-')
    .description('parse /proc/drbd output (8.0 to 9) and print the normalized devices')
    .action((file: string) => print(inspectProcDrbdText(readInput(file)), file === '-' ? 'stdin' : file));
  inspect
    .command('events2')
    .argument('[file]', 'a `drbdsetup events2` capture, or - for stdin', '-')
    .description('fold `drbdsetup events2` lines and print the devices after the last event')
    .action((file: string) => print(inspectEvents2Text(readInput(file)), file === '-' ? 'stdin' : file));
}
