import { hostname as osHostname } from 'node:os';
import type { Command } from 'commander';
import { EXIT } from '../common/errors.js';
import { createLogger, type Logger } from '../common/log.js';
import { packageVersion } from '../common/version.js';
import { checkThisHostIsNode, formatProblem, loadConfigFile } from '../config/index.js';
import { Daemon } from '../daemon/daemon.js';
import { createSdNotifier } from '../systemd/index.js';
import { CliExit } from './program-exit.js';

/**
 * `drbd-sentinel run`: the daemon. Runs until SIGTERM/SIGINT (clean stop, DRBD roles untouched);
 * SIGHUP reloads the configuration file, keeping the running one when the new one is invalid.
 */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run the failover daemon on this node (normally started by systemd)')
    .option('--node <name>', "this node's name in the configuration (default: `uname -n`)")
    .addHelpText(
      'after',
      `
Uses the global -c/--config FILE (default /etc/drbd-sentinel/config.yaml).
Logs are JSON lines on stderr (journald). Under systemd (Type=notify) it sends READY=1 after its first
complete observation, STATUS= lines, and WATCHDOG=1 while its loop is healthy.

Signals: SIGTERM/SIGINT stop cleanly without touching DRBD roles, mounts or services (a stopping daemon
is not a failover); SIGHUP reloads the configuration (an invalid file is logged and ignored).

Exit codes: 0 stopped cleanly, 1 failed to start or crashed, 78 invalid configuration or this host is
not one of the two nodes (systemd does not restart on 78).`,
    )
    .action(async (opts: { node?: string }, cmd: Command) => {
      const file = String((cmd.optsWithGlobals() as { config?: string }).config);
      const loaded = loadConfigFile(file);
      if (!loaded.ok) {
        for (const p of loaded.error) process.stderr.write(`${formatProblem(p)}\n`);
        throw new CliExit(EXIT.CONFIG, `invalid configuration: ${loaded.error.length} problem(s) in ${file}`);
      }
      const { config, source, warnings } = loaded.value;
      const nodes = checkThisHostIsNode(config, opts.node ?? osHostname(), source);
      if (!nodes.ok) {
        process.stderr.write(`${formatProblem(nodes.error)}\n`);
        throw new CliExit(EXIT.CONFIG, 'refusing to run: this host is not one of the configured nodes');
      }
      const logger = createLogger({ level: config.log.level, node: nodes.value.local.name });
      for (const w of warnings) logger.warn({ code: 'E_CONFIG', path: w.path, line: w.line }, w.message);

      const sd = createSdNotifier({ logger: logger.child({ module: 'systemd' }) });
      const created = await Daemon.create({
        config,
        nodes: nodes.value,
        logger,
        version: packageVersion(),
        sd,
      });
      if (!created.ok) {
        logger.fatal({ code: created.error.code }, created.error.message);
        throw new CliExit(
          created.error.code === 'E_CONFIG' ? EXIT.CONFIG : EXIT.FAILURE,
          created.error.message,
        );
      }
      const daemon = created.value;
      const started = await daemon.start();
      if (!started.ok) {
        logger.fatal({ code: started.error.code }, started.error.message);
        throw new CliExit(EXIT.FAILURE, started.error.message);
      }
      await runUntilSignalled(daemon, file, logger);
    });
}

function runUntilSignalled(daemon: Daemon, file: string, logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stop requested');
      void daemon.stop().then(resolve);
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      const next = loadConfigFile(file);
      if (!next.ok) {
        for (const p of next.error)
          logger.error({ code: 'E_CONFIG', path: p.path, line: p.line, col: p.col }, p.message);
        logger.error(
          { code: 'E_CONFIG' },
          'reload refused: the new configuration is invalid, keeping the running one',
        );
        return;
      }
      const applied = daemon.reload(next.value.config);
      if (applied.ok) logger.info({ file }, 'configuration reloaded');
      else
        logger.error(
          { code: 'E_CONFIG', reason: applied.error },
          'reload refused, keeping the running configuration',
        );
    });
  });
}
