import type { ConfigSource } from './load.js';
import { checkThisHostIsNode } from './local-node.js';
import type { ConfigProblem } from './problem.js';
import type { SentinelConfig } from './schema.js';

/** What a warning provider gets: the valid configuration, where it came from, and this host. */
export interface WarningProviderContext {
  readonly config: SentinelConfig;
  readonly source: ConfigSource;
  /** `uname -n` of the machine check-config runs on. */
  readonly hostname: string;
}

/**
 * A source of check-config warnings beyond the file itself (is this host a node, does DRBD's own
 * configuration match, ...). It may run commands; it must resolve (a rejection is reported as a
 * warning naming the provider, never a crash) and should bound its own run time.
 */
export interface ConfigWarningProvider {
  /** Short unique name, shown when the provider itself fails. */
  readonly name: string;
  provide(ctx: WarningProviderContext): Promise<readonly ConfigProblem[]>;
}

/** check-config runs on any machine: not being one of the nodes is only a warning there. */
export const thisHostProvider: ConfigWarningProvider = {
  name: 'this-host',
  provide: async ({ config, source, hostname }) => {
    const r = checkThisHostIsNode(config, hostname, source);
    return r.ok
      ? []
      : [
          {
            ...r.error,
            message: `${r.error.message} (fine on a workstation; \`run\` refuses to start here)`,
          },
        ];
  },
};

const registry: ConfigWarningProvider[] = [thisHostProvider];

/**
 * Adds a provider to the ones check-config runs (the DRBD layer adds its `drbdadm dump-xml`
 * cross-check). Registering the same name again replaces the earlier provider.
 */
export function registerConfigWarningProvider(provider: ConfigWarningProvider): void {
  const i = registry.findIndex((p) => p.name === provider.name);
  if (i >= 0) registry[i] = provider;
  else registry.push(provider);
}

/** The registered providers, in registration order. */
export function configWarningProviders(): readonly ConfigWarningProvider[] {
  return [...registry];
}

/** Runs providers concurrently and collects their warnings; a failing provider becomes a warning. */
export async function collectProviderWarnings(
  ctx: WarningProviderContext,
  providers: readonly ConfigWarningProvider[] = registry,
): Promise<ConfigProblem[]> {
  const results = await Promise.allSettled(providers.map((p) => p.provide(ctx)));
  return results.flatMap((r, i) =>
    r.status === 'fulfilled'
      ? [...r.value]
      : [
          {
            file: ctx.source.file,
            line: 1,
            col: 1,
            path: '(check)',
            message: `the ${providers[i]?.name ?? '?'} check could not run: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`,
          },
        ],
  );
}
