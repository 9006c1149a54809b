import { runCommand, type CommandOutcome, type RunOptions } from '../common/exec.js';
import { err, ok, type Result } from '../common/result.js';
import { classifyDrbdFailure, type DrbdFailure } from './classify.js';
import {
  buildDrbdadmArgv,
  DEFAULT_OP_TIMEOUT_MS,
  parseCstateOutput,
  parseDstateOutput,
  parseRoleOutput,
  type DrbdOp,
  type DrbdOpName,
  type DstateAnswer,
  type RoleAnswer,
} from './commands.js';
import { parseDumpXml, type DrbdConfigDump } from './dump-xml.js';
import { formatParseError } from './parse-error.js';
import type { ConnectionState } from './types.js';

/** What a successful command printed. */
export interface DrbdCommandOutput {
  readonly argv: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** A failed command: the classified failure plus the argv that ran. */
export interface DrbdCommandError extends DrbdFailure {
  readonly argv: readonly string[];
  readonly op: DrbdOpName;
  readonly durationMs: number;
}

/** The output of a command that succeeded, or its classified failure. */
export type DrbdCommandResult = Result<DrbdCommandOutput, DrbdCommandError>;

/** Plain options of the command layer (config `drbd.drbdadm`, per-resource timeouts). */
export interface DrbdCommandsOptions {
  /** Path of drbdadm (config `drbd.drbdadm`), e.g. `/usr/sbin/drbdadm`. */
  readonly drbdadm: string;
  /** Put before drbdadm in every argv (tests, lab wrappers such as `['nsenter', '-t', PID, '-a']`). */
  readonly argvPrefix?: readonly string[];
  /** Override timeouts per operation (ms). */
  readonly timeoutsMs?: Partial<Record<DrbdOpName, number>>;
  /** Extra environment for drbdadm. */
  readonly env?: Readonly<Record<string, string>>;
  /** Injection point for tests; defaults to runCommand. */
  readonly run?: (argv: readonly string[], options: RunOptions) => Promise<CommandOutcome>;
}

/** Per-call options: an AbortSignal and a timeout overriding the operation's default (ms). */
export interface DrbdRunOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** The typed command layer: every call runs drbdadm without a shell, with a timeout and an AbortSignal. */
export interface DrbdCommands {
  /** Runs one operation; a failure is classified, never thrown. */
  run(op: DrbdOp, options?: DrbdRunOptions): Promise<DrbdCommandResult>;
  role(resource: string, options?: DrbdRunOptions): Promise<Result<RoleAnswer, DrbdCommandError>>;
  cstate(resource: string, options?: DrbdRunOptions): Promise<Result<ConnectionState[], DrbdCommandError>>;
  dstate(resource: string, options?: DrbdRunOptions): Promise<Result<DstateAnswer[], DrbdCommandError>>;
  dumpXml(
    resource: string | null,
    options?: DrbdRunOptions,
  ): Promise<Result<DrbdConfigDump, DrbdCommandError>>;
}

function parseFailure(op: DrbdOpName, out: DrbdCommandOutput, message: string): DrbdCommandError {
  return {
    kind: 'unknown',
    retrySafe: false,
    drbdCode: null,
    exitCode: 0,
    message: `unparseable ${op} output: ${message}`,
    stderr: out.stderr,
    argv: out.argv,
    op,
    durationMs: out.durationMs,
  };
}

/** Builds the command layer (effects: spawns drbdadm). */
export function createDrbdCommands(options: DrbdCommandsOptions): DrbdCommands {
  const run = options.run ?? runCommand;
  const exec = async (op: DrbdOp, o: DrbdRunOptions = {}): Promise<DrbdCommandResult> => {
    const argv = buildDrbdadmArgv(options.drbdadm, op, options.argvPrefix);
    if (argv === null)
      return err({
        kind: 'no-resource',
        retrySafe: false,
        drbdCode: null,
        exitCode: null,
        message: `invalid resource name ${JSON.stringify('resource' in op ? op.resource : '')}`,
        stderr: '',
        argv: [],
        op: op.op,
        durationMs: 0,
      });
    const timeoutMs = o.timeoutMs ?? options.timeoutsMs?.[op.op] ?? DEFAULT_OP_TIMEOUT_MS[op.op];
    const outcome = await run(argv, {
      timeoutMs,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    if (outcome.status === 'ok')
      return ok({ argv, stdout: outcome.stdout, stderr: outcome.stderr, durationMs: outcome.durationMs });
    // classifyDrbdFailure returns null only for 'ok', handled above.
    const f: DrbdFailure = classifyDrbdFailure(outcome) ?? {
      kind: 'unknown',
      retrySafe: false,
      drbdCode: null,
      exitCode: null,
      message: 'unclassified',
      stderr: '',
    };
    return err({ ...f, argv, op: op.op, durationMs: outcome.durationMs });
  };
  return {
    run: exec,
    async role(resource, o) {
      const r = await exec({ op: 'role', resource }, o);
      if (!r.ok) return r;
      const p = parseRoleOutput(r.value.stdout);
      return p.ok ? p : err(parseFailure('role', r.value, formatParseError(p.error)));
    },
    async cstate(resource, o) {
      const r = await exec({ op: 'cstate', resource }, o);
      if (!r.ok) return r;
      const p = parseCstateOutput(r.value.stdout);
      return p.ok ? p : err(parseFailure('cstate', r.value, formatParseError(p.error)));
    },
    async dstate(resource, o) {
      const r = await exec({ op: 'dstate', resource }, o);
      if (!r.ok) return r;
      const p = parseDstateOutput(r.value.stdout);
      return p.ok ? p : err(parseFailure('dstate', r.value, formatParseError(p.error)));
    },
    async dumpXml(resource, o) {
      const r = await exec({ op: 'dump-xml', resource }, o);
      if (!r.ok) return r;
      const p = parseDumpXml(r.value.stdout);
      return p.ok ? p : err(parseFailure('dump-xml', r.value, formatParseError(p.error)));
    },
  };
}
