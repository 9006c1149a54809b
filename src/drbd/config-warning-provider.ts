import { readFile } from 'node:fs/promises';
import type { ConfigProblem } from '../config/problem.js';
import type { ConfigWarningProvider, WarningProviderContext } from '../config/warning-providers.js';
import { checkDrbdConfig, type DrbdConfigWarning } from './config-check.js';
import { parseProcDrbd } from './proc-drbd.js';
import { createDrbdCommands, type DrbdCommandsOptions } from './runner.js';

/** Options of the check-config provider; tests inject `run` (a fake drbdadm runner). */
export interface DrbdConfigWarningProviderOptions {
  /** Time limit of `drbdadm dump-xml`, ms (default 10 s). */
  readonly timeoutMs?: number;
  /** Path of drbd-sentinel in the suggested handler lines (default `/usr/sbin/drbd-sentinel`). */
  readonly sentinelPath?: string;
  readonly run?: DrbdCommandsOptions['run'];
}

/** The minor of `/dev/drbdN`, else null (by-res paths name no minor). Pure. */
function minorOf(device: string): number | null {
  const m = /^\/dev\/drbd(\d+)$/.exec(device);
  return m ? Number(m[1]) : null;
}

async function drbdMajor(ctx: WarningProviderContext): Promise<number> {
  if (ctx.config.drbd.version === '9') return 9;
  if (ctx.config.drbd.version === '8.4') return 8;
  try {
    const p = parseProcDrbd(await readFile(ctx.config.drbd.proc, 'utf8'));
    return p.ok ? (p.value.version?.major ?? 8) : 8;
  } catch {
    return 8; // no module on this machine: the 8.4 syntax of the guide
  }
}

/**
 * check-config's DRBD cross-check (effects: runs `drbdadm dump-xml`, reads /proc/drbd): each
 * configured resource against DRBD's own configuration, located at the resource's `name:` (node
 * name findings at the node's `name:`). Where drbdadm is not installed (a workstation) it has
 * nothing to say. Register with `registerConfigWarningProvider(createDrbdConfigWarningProvider())`.
 */
export function createDrbdConfigWarningProvider(
  options: DrbdConfigWarningProviderOptions = {},
): ConfigWarningProvider {
  return {
    name: 'drbd-config',
    async provide(ctx) {
      const { config, source } = ctx;
      const at = (path: readonly (string | number)[], shown: string, message: string): ConfigProblem => ({
        file: source.file,
        ...source.locate(path),
        path: shown,
        message,
      });
      const commands = createDrbdCommands({
        drbdadm: config.drbd.drbdadm,
        ...(options.run ? { run: options.run } : {}),
      });
      const dump = await commands.dumpXml(null, { timeoutMs: options.timeoutMs ?? 10_000 });
      if (!dump.ok) {
        if (dump.error.kind === 'spawn-error') return [];
        return [
          at(
            ['drbd', 'drbdadm'],
            'drbd.drbdadm',
            `DRBD's configuration was not compared: \`${dump.error.argv.join(' ')}\` failed (${dump.error.kind}: ${dump.error.message})`,
          ),
        ];
      }
      const resources = config.resources.map((r) => ({
        name: r.name,
        device: r.device,
        minor: minorOf(r.device),
      }));
      const result = checkDrbdConfig(dump.value, {
        resources,
        nodeNames: config.nodes.map((n) => n.name),
        drbdMajor: await drbdMajor(ctx),
        fencingPolicy: config.fencing.policy,
        ...(options.sentinelPath ? { sentinelPath: options.sentinelPath } : {}),
      });
      const snippetShown = new Set<string>();
      return result.warnings.map((w: DrbdConfigWarning) => {
        const ri = config.resources.findIndex((r) => r.name === w.resource);
        let message = w.message;
        const snippet = result.snippets[w.resource];
        if (snippet !== undefined && !snippetShown.has(w.resource) && /fencing|fence|unfence/.test(w.code)) {
          snippetShown.add(w.resource);
          message += `; add to DRBD's configuration (then \`drbdadm adjust ${w.resource}\`):\n${snippet}`;
        }
        if (w.code === 'node-name-mismatch') {
          const ni = config.nodes.findIndex((n) => message.includes(`"${n.name}"`));
          if (ni >= 0) return at(['nodes', ni, 'name'], `nodes[${ni}].name`, message);
        }
        if (w.code === 'minor-mismatch' || w.code === 'device-mismatch')
          return at(['resources', ri, 'device'], `resources[${ri}].device`, message);
        return at(['resources', ri, 'name'], `resources[${ri}].name`, message);
      });
    },
  };
}
