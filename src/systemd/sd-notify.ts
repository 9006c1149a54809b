import { execFile } from 'node:child_process';
import type { Logger } from '../common/log.js';

/**
 * One sd_notify(3) message. Fields combine into one datagram (e.g. READY=1 with a STATUS line).
 * See systemd.service(5) Type=notify and WatchdogSec=.
 */
export interface SdNotifyMessage {
  /** READY=1: start-up is complete (`systemctl start` returns). */
  readonly ready?: boolean;
  /** STATUS=...: a one-line summary shown by `systemctl status`. Newlines are replaced by spaces. */
  readonly status?: string;
  /** WATCHDOG=1: the keep-alive ping for WatchdogSec=. */
  readonly watchdog?: boolean;
  /** STOPPING=1: the service is shutting down on purpose. */
  readonly stopping?: boolean;
}

/** What sending one message did. Never thrown: sd_notify failures must not disturb the loop. */
export type SdNotifyOutcome =
  | { readonly status: 'sent' }
  /** NOTIFY_SOCKET is unset (not under systemd, or a Type= that does not listen): nothing to do. */
  | { readonly status: 'disabled' }
  | { readonly status: 'empty' }
  | {
      readonly status: 'failed';
      readonly code: 'E_EXEC_FAILED' | 'E_EXEC_SPAWN' | 'E_EXEC_TIMEOUT';
      readonly detail: string;
    };

/** Sends sd_notify messages; a no-op when the process was not started by systemd with a notify socket. */
export interface SdNotifier {
  /** True when NOTIFY_SOCKET was set at construction. */
  readonly enabled: boolean;
  /** Sends one message; messages are sent in call order, one at a time. Never rejects. */
  notify(message: SdNotifyMessage): Promise<SdNotifyOutcome>;
}

export interface SdNotifierOptions {
  /** Environment to read NOTIFY_SOCKET from and pass to the tool; default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Path or name (looked up on PATH) of the systemd-notify binary; default `systemd-notify`. */
  readonly command?: string;
  /** Kill the tool after this long (ms); default 5000. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * The argument vector for `systemd-notify` (pure). Plain `NAME=VALUE` assignments for every field, which
 * systemd-notify 252 (Debian 12) sends verbatim; `--no-block` skips its BARRIER=1 round trip (it would wait up
 * to 5 s for PID 1). No `--pid`: that would send MAINPID= and re-assign the unit's main PID. Returns null when
 * the message has no field set.
 */
export function sdNotifyArgs(message: SdNotifyMessage): string[] | null {
  const assignments: string[] = [];
  if (message.ready === true) assignments.push('READY=1');
  if (message.status !== undefined) assignments.push(`STATUS=${oneLine(message.status)}`);
  if (message.watchdog === true) assignments.push('WATCHDOG=1');
  if (message.stopping === true) assignments.push('STOPPING=1');
  return assignments.length === 0 ? null : ['--no-block', ...assignments];
}

/** sd_notify's format is newline-separated assignments: a newline inside STATUS would inject another one. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 1000);
}

/**
 * Creates the notifier. It spawns `systemd-notify` directly (execFile, no shell): Node has no unix datagram
 * sockets and we add no native addon. systemd-notify 252 sends its parent's PID in SCM_CREDENTIALS (root may
 * do that), so the message is attributed to the daemon and `NotifyAccess=main` works when running as root;
 * a non-root daemon needs `NotifyAccess=all`.
 *
 * Unlike every other child (src/common/exec.ts), this one must see NOTIFY_SOCKET: it is the only process
 * allowed to speak for the daemon to systemd.
 */
export function createSdNotifier(options: SdNotifierOptions = {}): SdNotifier {
  const env = options.env ?? process.env;
  const socket = env.NOTIFY_SOCKET;
  const enabled = socket !== undefined && socket !== '';
  const command = options.command ?? 'systemd-notify';
  const timeoutMs = options.timeoutMs ?? 5_000;
  const log = options.logger?.child({ module: 'systemd' });
  let chain: Promise<unknown> = Promise.resolve();

  const send = (args: string[]): Promise<SdNotifyOutcome> =>
    new Promise((resolve) => {
      execFile(
        command,
        args,
        { env: { ...env }, timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true },
        (error, _stdout, stderr) => {
          if (error === null) return resolve({ status: 'sent' });
          const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
          const outcome: SdNotifyOutcome =
            typeof e.code === 'string'
              ? { status: 'failed', code: 'E_EXEC_SPAWN', detail: e.message }
              : e.killed === true
                ? { status: 'failed', code: 'E_EXEC_TIMEOUT', detail: `no exit within ${timeoutMs}ms` }
                : { status: 'failed', code: 'E_EXEC_FAILED', detail: String(stderr).trim() || e.message };
          log?.warn({ code: outcome.code, detail: outcome.detail, args }, 'sd_notify failed');
          resolve(outcome);
        },
      );
    });

  return {
    enabled,
    notify(message) {
      if (!enabled) return Promise.resolve({ status: 'disabled' });
      const args = sdNotifyArgs(message);
      if (args === null) return Promise.resolve({ status: 'empty' });
      const next = chain.then(() => send(args));
      chain = next;
      return next;
    },
  };
}
