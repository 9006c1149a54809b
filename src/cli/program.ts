import { Command, CommanderError } from 'commander';
import { EXIT } from '../common/errors.js';
import { packageVersion } from '../common/version.js';
import { CliExit } from './program-exit.js';
import { registerRunCommand } from './run.js';
import { registerDemoCommand } from './demo.js';
import { registerStatusCommand } from './status.js';
import { registerSwitchoverCommand } from './switchover.js';
import { registerStandbyCommand } from './standby.js';
import { registerMaintenanceCommand } from './maintenance.js';
import { registerNotifyTestCommand } from './notify-test.js';
import { registerReplayCommand } from './replay.js';
import { registerCheckConfigCommand } from './check-config.js';
import { registerConfigWarningProvider } from '../config/index.js';
import { createDrbdCrossCheckProvider } from './drbd-crosscheck.js';
import { registerConfigSchemaCommand } from './config-schema.js';
import { registerInspectCommand } from './inspect.js';
import { registerFencePeerCommand } from './fence-peer.js';
import { registerSimCommand } from './sim.js';
import { registerInitCommand } from './init.js';

export const DEFAULT_CONFIG_PATH = '/etc/drbd-sentinel/config.yaml';

/** Builds the whole command tree; each command lives in its own file under src/cli/. */
export function buildProgram(): Command {
  const program = new Command('drbd-sentinel')
    .description('Automatic failover for two-node DRBD clusters.')
    .version(packageVersion(), '-V, --version')
    .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG_PATH)
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      `
Exit codes:
  0   success
  1   failure (the operation was refused or did not complete)
  2   usage error (unknown command or option, bad argument)
  78  invalid configuration (EX_CONFIG)`,
    );
  // Command registrations, one per src/cli/<command>.ts:
  registerRunCommand(program);
  registerDemoCommand(program);
  registerStatusCommand(program);
  registerSwitchoverCommand(program);
  registerStandbyCommand(program);
  registerMaintenanceCommand(program);
  registerNotifyTestCommand(program);
  registerReplayCommand(program);
  registerFencePeerCommand(program);
  registerInspectCommand(program);
  // check-config's DRBD cross-check (registering under the same name again replaces it).
  registerConfigWarningProvider(createDrbdCrossCheckProvider());
  registerCheckConfigCommand(program);
  registerConfigSchemaCommand(program);
  registerSimCommand(program);
  registerInitCommand(program);
  return program;
}

/** Parses `argv` and runs the command; resolves to the process exit code. Never throws. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (e) {
    if (e instanceof CliExit) {
      if (e.message) process.stderr.write(`drbd-sentinel: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof CommanderError) {
      // --help and --version arrive here with exit code 0; commander has printed them already.
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    process.stderr.write(`drbd-sentinel: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.FAILURE;
  }
}
