/**
 * The command lines the CLI answers without commander (src/cli/fast-path.ts): `--version`, and
 * `fence-peer`, `unfence-peer`, `status` with the options their commander definitions have. DRBD runs
 * `fence-peer` inside `drbdadm primary` with I/O frozen, so its start-up is on the takeover path; this
 * module imports nothing, so deciding costs nothing.
 *
 * Only lines commander would accept and read the same way are recognised; anything else (help, a
 * misspelt or repeated flag form we do not list, a missing value, an extra argument, `--`) returns null
 * and goes to commander, whose usage errors and help texts stay the only ones. A value that starts with
 * `-` is refused here too (commander's reading of those is its own business).
 */

export const DEFAULT_CONFIG_PATH = '/etc/drbd-sentinel/config.yaml';

/** Default waits of the handlers, shared with their commander definitions (src/cli/fence-peer.ts). */
export const FENCE_PEER_DEFAULT_TIMEOUT = '120s';
export const UNFENCE_PEER_DEFAULT_TIMEOUT = '10s';

export type FastCommand =
  | { readonly kind: 'version' }
  | {
      readonly kind: 'fence-peer' | 'unfence-peer';
      readonly config: string;
      readonly socket?: string;
      readonly timeout: string;
    }
  | { readonly kind: 'status'; readonly config: string; readonly socket?: string; readonly json: boolean };

type Valued = 'config' | 'socket' | 'timeout';

/** The value options each command takes (with the global -c/--config everywhere, as commander does). */
const VALUED: Readonly<Record<'fence-peer' | 'unfence-peer' | 'status', readonly Valued[]>> = {
  'fence-peer': ['config', 'socket', 'timeout'],
  'unfence-peer': ['config', 'socket', 'timeout'],
  status: ['config', 'socket'],
};

/** `--name value`, `--name=value`, and for config `-c value` / `-cvalue`: [option, value, args used]. */
function valueOption(args: readonly string[], i: number): [Valued, string, number] | null {
  const a = args[i] as string;
  const long = /^--(config|socket|timeout)(=(.*))?$/s.exec(a);
  if (long) {
    const name = long[1] as Valued;
    if (long[2] !== undefined) return [name, long[3] as string, 1];
    const v = args[i + 1];
    return v === undefined ? null : [name, v, 2];
  }
  if (a === '-c') {
    const v = args[i + 1];
    return v === undefined ? null : ['config', v, 2];
  }
  if (a.startsWith('-c') && a.length > 2) return ['config', a.slice(2), 1];
  return null;
}

/** The fast command `args` (the arguments after the program name) is, or null for commander (pure). */
export function fastCommand(args: readonly string[]): FastCommand | null {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) return { kind: 'version' };
  let command: 'fence-peer' | 'unfence-peer' | 'status' | null = null;
  const values: Partial<Record<Valued, string>> = {};
  let json = false;
  for (let i = 0; i < args.length;) {
    const a = args[i] as string;
    if (!a.startsWith('-')) {
      if (command !== null || !(a === 'fence-peer' || a === 'unfence-peer' || a === 'status')) return null;
      command = a;
      i++;
      continue;
    }
    if (a === '--json' && command === 'status') {
      json = true;
      i++;
      continue;
    }
    const o = valueOption(args, i);
    if (o === null) return null;
    const [name, value, used] = o;
    // Before the command only the global option; after it, the command's own ones too.
    if (name !== 'config' && (command === null || !VALUED[command].includes(name))) return null;
    if (value.startsWith('-')) return null;
    values[name] = value;
    i += used;
  }
  if (command === null) return null;
  const config = values.config ?? DEFAULT_CONFIG_PATH;
  const socket = values.socket === undefined ? {} : { socket: values.socket };
  if (command === 'status') return { kind: 'status', config, ...socket, json };
  const timeout =
    values.timeout ?? (command === 'fence-peer' ? FENCE_PEER_DEFAULT_TIMEOUT : UNFENCE_PEER_DEFAULT_TIMEOUT);
  return { kind: command, config, ...socket, timeout };
}
