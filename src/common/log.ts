import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * The root logger: pino JSON lines on stderr (journald captures them), object first, short lowercase
 * message. Modules take `createLogger(...).child({ module: 'name' })`.
 */
export function createLogger(
  options: { level?: LogLevel; node?: string; destination?: DestinationStream } = {},
): Logger {
  const base = options.node === undefined ? { pid: process.pid } : { pid: process.pid, node: options.node };
  return pino(
    { level: options.level ?? 'info', base, timestamp: pino.stdTimeFunctions.isoTime },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that discards everything: for tests and pure helpers that accept an optional logger. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
