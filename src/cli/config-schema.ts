import type { Command } from 'commander';
import { configJsonSchema } from '../config/index.js';

/** `drbd-sentinel config-schema`: prints the JSON Schema of the configuration file for editors. */
export function registerConfigSchemaCommand(program: Command): void {
  program
    .command('config-schema')
    .description('print the JSON Schema of the configuration file (for editors and yaml-language-server)')
    .addHelpText(
      'after',
      `
Example (VS Code / yaml-language-server): save the output as drbd-sentinel.schema.json and add
  # yaml-language-server: $schema=./drbd-sentinel.schema.json
at the top of the configuration file. Rules spanning several keys (deadtime >= 3 x interval, ...)
are not expressible in JSON Schema: check-config reports them.

Exit codes: 0 ok, 2 usage error.`,
    )
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}
