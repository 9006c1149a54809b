import { parse as parseYaml } from 'yaml';
import { EXIT } from '../common/errors.js';
import { CliExit } from '../common/cli-exit.js';
import { MAX_CONFIG_BYTES, readRegularFile } from '../config/read-file.js';
import { controlRequest, type ControlClientError } from './client.js';
import {
  DEFAULT_CONTROL_SOCKET,
  type ControlOp,
  type ControlResults,
  type OperationReport,
  type RequestOf,
} from './protocol.js';

/**
 * The control socket path the CLI talks to (reads one file, never throws): `--socket` when given, else
 * `control.socket` from the configuration file, else the default. Only that one key is read, without the
 * full validation `run` does: `status` must keep working when the file was since edited into an invalid
 * state (the running daemon keeps its old configuration) or when the cluster secret is unreadable.
 */
export function resolveControlSocket(options: {
  readonly socket?: string;
  readonly config?: string;
}): string {
  if (options.socket !== undefined && options.socket !== '') return options.socket;
  if (options.config === undefined) return DEFAULT_CONTROL_SOCKET;
  // Only a regular file is read: `status -c` on a FIFO or /dev/zero must not hang the CLI.
  const read = readRegularFile(options.config, MAX_CONFIG_BYTES);
  if (!read.ok) return DEFAULT_CONTROL_SOCKET;
  try {
    const doc = parseYaml(read.value.data.toString('utf8')) as unknown;
    const control = (doc as { control?: unknown } | null)?.control;
    const socket = (control as { socket?: unknown } | null | undefined)?.socket;
    if (typeof socket === 'string' && socket.startsWith('/')) return socket;
  } catch {
    // Missing or unreadable configuration: the default is where a default install listens.
  }
  return DEFAULT_CONTROL_SOCKET;
}

/** The CLI's message and exit code for a failed control request (pure). */
export function clientErrorExit(e: ControlClientError): CliExit {
  switch (e.kind) {
    case 'not-running':
      return new CliExit(EXIT.FAILURE, `${e.message}; start it with: systemctl start drbd-sentinel`);
    case 'permission':
    case 'timeout':
    case 'protocol':
      return new CliExit(EXIT.FAILURE, e.message);
    case 'remote':
      return new CliExit(EXIT.FAILURE, `refused (${e.code}): ${e.message}`);
  }
}

/** Sends one request for a CLI command; throws CliExit (exit 1) with a clear message when it fails. */
export async function callDaemon<K extends ControlOp>(
  socketPath: string,
  request: RequestOf<K>,
  timeoutMs: number,
): Promise<ControlResults[K]> {
  const r = await controlRequest(socketPath, request, { timeoutMs });
  if (!r.ok) throw clientErrorExit(r.error);
  return r.value;
}

/** Renders an operation's report, one line per step (pure). */
export function renderOperationReport(report: OperationReport): string {
  const lines = [report.summary];
  for (const s of report.steps) {
    const took = s.durationMs === undefined ? '' : ` (${s.durationMs}ms)`;
    const detail = s.detail === undefined ? '' : `: ${s.detail}`;
    lines.push(`  ${s.status.padEnd(7)} ${s.step}${took}${detail}`);
  }
  return `${lines.join('\n')}\n`;
}

/** True when any step of the report failed (the command then exits 1). */
export function reportFailed(report: OperationReport): boolean {
  return report.steps.some((s) => s.status === 'failed');
}

/** Global and local options every control command reads. */
export interface ControlCommandOptions {
  readonly socket?: string;
  readonly config?: string;
}
