import type { Command } from 'commander';
import { createEtcdClient } from '../arbiter/etcd-client.js';
import { readFleet, renderFleet } from '../arbiter/fleet.js';
import { systemWallClock } from '../common/clock.js';
import { EXIT } from '../common/errors.js';
import { loadConfigFile, type EtcdArbiterConfig } from '../config/index.js';
import { CliExit } from './program-exit.js';

/** `drbd-sentinel fleet status`: every pair that publishes under an etcd prefix, in one table. */
export function registerFleetCommand(program: Command): void {
  const fleet = program.command('fleet').description('pairs that share an etcd arbiter');
  fleet
    .command('status')
    .description('one table of every pair under the etcd prefix, stale entries marked')
    .option('--endpoints <urls>', 'comma-separated etcd URLs (default: arbiter.etcd.endpoints of -c FILE)')
    .option('--prefix <prefix>', 'key prefix (default: arbiter.etcd.prefix of -c FILE, or /drbd-sentinel)')
    .option('--stale-after <seconds>', 'mark entries older than this', '30')
    .option('--json', 'print the rows as JSON')
    .addHelpText(
      'after',
      `
Runs anywhere with etcd access. Without --endpoints the arbiter section of the configuration file
(-c, default /etc/drbd-sentinel/config.yaml) gives endpoints, prefix, TLS and auth.
Each daemon writes its entry on change (at most once a second) and refreshes it every 10 s. Entries
are bound to each daemon's lease: a stopped daemon's disappears with it, and the node its peer names
shows MISSING; STALE marks one whose writer stopped updating it (its loop hangs). PEER says whether
the node hears its peer. Exit codes: 0 listed, 1 etcd unreachable, 78 no usable configuration.`,
    )
    .action(
      async (
        opts: { endpoints?: string; prefix?: string; staleAfter: string; json?: boolean },
        cmd: Command,
      ) => {
        const c = etcdConfig(opts, String((cmd.optsWithGlobals() as { config?: string }).config));
        const client = await createEtcdClient(c);
        if (!client.ok) throw new CliExit(EXIT.CONFIG, client.error);
        try {
          const rows = await readFleet(
            client.value,
            c.prefix,
            Date.parse(systemWallClock.nowIso()),
            Number(opts.staleAfter) * 1000,
            c.timeoutMs,
          );
          process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : renderFleet(rows));
        } catch (e) {
          throw new CliExit(EXIT.FAILURE, `etcd: ${e instanceof Error ? e.message : String(e)}`);
        } finally {
          client.value.close();
        }
      },
    );
}

function etcdConfig(opts: { endpoints?: string; prefix?: string }, file: string): EtcdArbiterConfig {
  if (opts.endpoints !== undefined)
    return {
      endpoints: opts.endpoints.split(',').filter(Boolean),
      prefix: opts.prefix ?? '/drbd-sentinel',
      tls: null,
      user: null,
      passwordFile: null,
      leaseTtlMs: 10_000,
      timeoutMs: 3_000,
    };
  const loaded = loadConfigFile(file, { secretFileCheck: false });
  if (!loaded.ok) throw new CliExit(EXIT.CONFIG, `${file}: invalid configuration (run check-config)`);
  const a = loaded.value.config.arbiter;
  if (a === null) throw new CliExit(EXIT.CONFIG, `${file} has no arbiter section: give --endpoints`);
  return { ...a.etcd, prefix: opts.prefix ?? a.etcd.prefix };
}
