import { hostname as osHostname } from 'node:os';
import type { Command } from 'commander';
import { EXIT } from '../common/errors.js';
import {
  collectProviderWarnings,
  configWarningProviders,
  formatProblem,
  loadConfigFile,
  renderConfigYaml,
  sortProblems,
  toConfigDocument,
  type ConfigWarningProvider,
} from '../config/index.js';
import { CliExit } from './program-exit.js';

/** Test seams; production uses the registered providers and `os.hostname()` (= `uname -n`). */
export interface CheckConfigDeps {
  readonly providers?: () => readonly ConfigWarningProvider[];
  readonly hostname?: () => string;
}

/**
 * `drbd-sentinel check-config [-c FILE] [--json] [--quiet]`: runs exactly the validation `run`
 * performs at startup (loadConfigFile), then the registered warning providers.
 */
export function registerCheckConfigCommand(program: Command, deps: CheckConfigDeps = {}): void {
  program
    .command('check-config')
    .description(
      'validate the configuration file exactly as `run` does at startup, and print the effective configuration',
    )
    .option('--json', 'print one JSON document on stdout: {valid, file, problems | warnings + config}')
    .option('-q, --quiet', 'print nothing on success but the warnings')
    .option(
      '--no-secret-check',
      'do not check cluster.secret-file (to validate on a workstation or in CI; `run` always checks it)',
    )
    .addHelpText(
      'after',
      `
Uses the global -c/--config FILE (default /etc/drbd-sentinel/config.yaml); may be given after the command.

Valid: prints the effective configuration (every default filled in, itself a valid file) on stdout,
warnings on stderr as "FILE:LINE:COL: key.path: warning: message", exit 0.
Invalid: prints every problem, one per line, as "FILE:LINE:COL: key.path: message" on stderr, exit 78.
With --json the same facts go to stdout as one JSON document and nothing to stderr.
check-config runs on any machine: that this host is not one of the two nodes is only a warning here.

Exit codes: 0 valid (possibly with warnings), 2 usage error, 78 invalid or unreadable configuration.`,
    )
    .action(async (opts: { json?: boolean; quiet?: boolean; secretCheck: boolean }, cmd: Command) => {
      const file = String((cmd.optsWithGlobals() as { config?: string }).config);
      const loaded = loadConfigFile(file, { secretFileCheck: opts.secretCheck });
      if (!loaded.ok) {
        const problems = loaded.error;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ valid: false, file, problems }, null, 2)}\n`);
          throw new CliExit(EXIT.CONFIG);
        }
        for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
        throw new CliExit(EXIT.CONFIG, `invalid configuration: ${problems.length} problem(s) in ${file}`);
      }
      const { config, source } = loaded.value;
      const providers = deps.providers?.() ?? configWarningProviders();
      const extra = await collectProviderWarnings(
        { config, source, hostname: (deps.hostname ?? osHostname)() },
        providers,
      );
      if (!opts.secretCheck) {
        extra.push({
          file,
          ...source.locate(['cluster', 'secret-file']),
          path: 'cluster.secret-file',
          message: `not checked (--no-secret-check): ${config.cluster.secretFile} must exist on each node, mode 0600, same content on both`,
        });
      }
      const warnings = sortProblems([...loaded.value.warnings, ...extra]);
      if (opts.json) {
        const doc = { valid: true, file, warnings, config: toConfigDocument(config) };
        process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
        return;
      }
      for (const w of warnings) process.stderr.write(`${formatProblem(w, 'warning: ')}\n`);
      if (!opts.quiet) {
        process.stdout.write(
          `# effective configuration of ${file} (defaults filled in)\n${renderConfigYaml(config)}`,
        );
      }
    });
}
