import { EXIT } from './errors.js';

/**
 * Thrown by a command action to end the process with a documented exit code and a message on stderr
 * (no stack trace). The entry point catches it; nothing else should.
 */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message = '',
  ) {
    super(message);
    this.name = 'CliExit';
  }
}

export const usageError = (message: string) => new CliExit(EXIT.USAGE, message);
