import { Command, CommanderError } from 'commander';
import { EXIT } from '../common/errors.js';
import { packageVersion } from '../common/version.js';
import { exitForError } from './error-exit.js';
import { DEFAULT_CONFIG_PATH } from './fast-args.js';

/** What a command module contributes: it registers its command(s) on the program. */
type Register = (program: Command) => void;

/**
 * One entry per src/cli/<command>.ts, in the order `--help` lists them: the names it registers and its
 * module, imported only when one of those commands runs (or when the whole tree is needed: `--help`, a
 * usage error). So `fence-peer`, which DRBD runs while I/O may be frozen, loads what it needs and not the
 * daemon, the simulator or the configuration schema. import() with a literal path keeps each command
 * behind its entry in a bundle too (esbuild evaluates the module on first import).
 */
const COMMANDS: readonly { readonly names: readonly string[]; readonly load: () => Promise<Register> }[] = [
  { names: ['run'], load: async () => (await import('./run.js')).registerRunCommand },
  { names: ['demo'], load: async () => (await import('./demo.js')).registerDemoCommand },
  { names: ['status'], load: async () => (await import('./status.js')).registerStatusCommand },
  { names: ['switchover'], load: async () => (await import('./switchover.js')).registerSwitchoverCommand },
  { names: ['standby'], load: async () => (await import('./standby.js')).registerStandbyCommand },
  { names: ['maintenance'], load: async () => (await import('./maintenance.js')).registerMaintenanceCommand },
  { names: ['notify-test'], load: async () => (await import('./notify-test.js')).registerNotifyTestCommand },
  { names: ['replay'], load: async () => (await import('./replay.js')).registerReplayCommand },
  {
    names: ['fence-peer', 'unfence-peer'],
    load: async () => (await import('./fence-peer.js')).registerFencePeerCommand,
  },
  { names: ['inspect'], load: async () => (await import('./inspect.js')).registerInspectCommand },
  { names: ['check-config'], load: loadCheckConfig },
  {
    names: ['config-schema'],
    load: async () => (await import('./config-schema.js')).registerConfigSchemaCommand,
  },
  { names: ['sim'], load: async () => (await import('./sim.js')).registerSimCommand },
  { names: ['init'], load: async () => (await import('./init.js')).registerInitCommand },
  { names: ['fleet'], load: async () => (await import('./fleet.js')).registerFleetCommand },
];

/** check-config with its DRBD cross-check (registering under the same name again replaces it). */
async function loadCheckConfig(): Promise<Register> {
  const [
    { registerCheckConfigCommand },
    { createDrbdCrossCheckProvider },
    { arbiterCheckProvider },
    { registerConfigWarningProvider },
  ] = await Promise.all([
    import('./check-config.js'),
    import('./drbd-crosscheck.js'),
    import('./arbiter-check.js'),
    import('../config/index.js'),
  ]);
  return (program) => {
    registerConfigWarningProvider(createDrbdCrossCheckProvider());
    registerConfigWarningProvider(arbiterCheckProvider);
    registerCheckConfigCommand(program);
  };
}

/**
 * Which commands a command line needs (pure): the one it names, none for a bare `--version`, all of them
 * when the program's own help or errors may list them (no command, `help`, an unknown command or option).
 * Global options are scanned as commander reads them: `-c FILE`, `-cFILE`, `--config[=]FILE`, and `-V`
 * or `-h` ending the scan (commander acts on them at once), also combined (`-Vh`).
 */
export function commandsNeeded(args: readonly string[]): 'all' | 'none' | string {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-c' || a === '--config') i++;
    else if (a.startsWith('--config=') || (a.startsWith('-c') && !a.startsWith('--'))) continue;
    else if (a === '--version' || (a.startsWith('-V') && !a.startsWith('--'))) return 'none';
    else if (a.startsWith('-'))
      return 'all'; // --help, -h, --, an unknown option
    else return COMMANDS.some((c) => c.names.includes(a)) ? a : 'all';
  }
  return 'all';
}

function newProgram(): Command {
  return new Command('drbd-sentinel')
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
}

/**
 * Builds the command tree `args` (the arguments after the program name) needs; with no `args`, the whole
 * tree. Each command lives in its own file under src/cli/.
 */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const program = newProgram();
  const needed = args === undefined ? 'all' : commandsNeeded(args);
  const modules = COMMANDS.filter((c) => needed === 'all' || c.names.includes(needed));
  for (const register of await Promise.all(modules.map((c) => c.load()))) register(program);
  return program;
}

/** Parses `argv` and runs the command; resolves to the process exit code. Never throws. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    const program = await buildProgram(argv.slice(2));
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (e) {
    // --help and --version arrive here with exit code 0; commander has printed them already.
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    return exitForError(e);
  }
}
