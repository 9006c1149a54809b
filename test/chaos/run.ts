/**
 * `npm run test:chaos [-- --seed S ...] [--schedules N] [--base-seed B] [--results FILE]`: the chaos
 * tier's front end (vitest takes no options of its own kind). `--seed` (repeatable) replays exactly
 * those schedules; `--schedules N` runs N fresh ones and writes the summary to
 * bench/results/chaos.json (or FILE). Without options: the CI count (CHAOS_SCHEDULES, default 8).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
const env: Record<string, string> = {};
const seeds: string[] = [];
for (let k = 0; k < args.length; k++) {
  const [flag, value] = [args[k], args[k + 1]];
  const need = () => {
    if (value === undefined || (!/^\d+$/.test(value) && flag !== '--results')) {
      process.stderr.write(
        `test:chaos: ${flag} needs a ${flag === '--results' ? 'file' : 'non-negative integer'}\n`,
      );
      process.exit(2);
    }
    k++;
    return value;
  };
  switch (flag) {
    case '--seed':
      seeds.push(need());
      break;
    case '--schedules':
      env.CHAOS_SCHEDULES = need();
      env.CHAOS_RESULTS ??= resolve(root, 'bench', 'results', 'chaos.json');
      break;
    case '--base-seed':
      env.CHAOS_BASE_SEED = need();
      break;
    case '--results':
      env.CHAOS_RESULTS = resolve(need());
      break;
    default:
      process.stderr.write(
        `test:chaos: unknown option ${flag}\nusage: npm run test:chaos -- [--seed S]... [--schedules N] [--base-seed B] [--results FILE]\n`,
      );
      process.exit(2);
  }
}
if (seeds.length > 0) {
  env.CHAOS_SEEDS = seeds.join(',');
  delete env.CHAOS_RESULTS;
}
const r = spawnSync(
  process.execPath,
  [
    resolve(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '--project',
    'chaos',
    '--no-file-parallelism',
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } },
);
process.exit(r.status ?? 1);
