import { err, ok, type Result } from '../common/result.js';
import { readRegularFile } from './read-file.js';

/** What the secret-file check found: errors stop the load, warnings are reported. */
export interface SecretFileFindings {
  readonly errors: string[];
  readonly warnings: string[];
}

const MIN_SECRET_BYTES = 16;

/** A key is 32 random bytes in base64; 64 KiB is generous and keeps a wrong path from being read whole. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * Reads the cluster's shared key file for use (the daemon at start): only a regular file of at most
 * {@link MAX_SECRET_FILE_BYTES}, never blocking on a FIFO or a device. Never throws.
 */
export function readSecretFile(path: string): Result<Buffer, string> {
  const read = readRegularFile(path, MAX_SECRET_FILE_BYTES);
  return read.ok ? ok(read.value.data) : err(`secret file ${path} cannot be read: ${read.error.message}`);
}

/**
 * Checks the cluster's shared key file: it exists, is a regular file (at most 64 KiB), is not empty, and is
 * neither readable nor writable by group or others (a key others can read lets them forge heartbeats).
 * Reads the file synchronously (startup and reload only). Never throws.
 */
export function checkSecretFile(path: string): SecretFileFindings {
  const errors: string[] = [];
  const warnings: string[] = [];
  const create = `create it on one node with \`umask 077; head -c 32 /dev/urandom | base64 > ${path}\` and copy it to the other (same content on both)`;
  const read = readRegularFile(path, MAX_SECRET_FILE_BYTES);
  if (!read.ok) {
    switch (read.error.reason) {
      case 'not-found':
        return { errors: [`secret file ${path} does not exist: ${create}`], warnings };
      case 'not-regular':
        return { errors: [`secret file ${path} is not a regular file: ${read.error.message}`], warnings };
      default:
        return { errors: [`secret file ${path} cannot be read: ${read.error.message}`], warnings };
    }
  }
  const mode = read.value.stats.mode & 0o777;
  if ((mode & 0o066) !== 0) {
    errors.push(
      `secret file ${path} has mode ${mode.toString(8).padStart(4, '0')}: it must not be readable or writable by group or others (chmod 600 ${path})`,
    );
  }
  const trimmed = read.value.data.toString('utf8').trim();
  if (trimmed.length === 0) errors.push(`secret file ${path} is empty: ${create}`);
  else if (trimmed.length < MIN_SECRET_BYTES) {
    warnings.push(
      `secret file ${path} holds only ${trimmed.length} characters: use at least 32 random bytes (head -c 32 /dev/urandom | base64)`,
    );
  }
  return { errors, warnings };
}
