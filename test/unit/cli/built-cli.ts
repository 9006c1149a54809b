import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The repository root and its built entry point. */
export const REPO = new URL('../../../', import.meta.url).pathname;
export const BUILT_CLI = `${REPO}dist/cli.js`;

/** Fails (never skips) when the build is missing: `npm test` builds before the unit tier. */
export function requireBuild(): void {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first`);
}

/** Runs a program synchronously and returns its exit code and output. */
export function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
