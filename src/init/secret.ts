import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { err, ok, type Result } from '../common/result.js';
import { checkSecretFile } from '../config/secret-file.js';
import { readRegularFile } from '../config/read-file.js';

/** What init does about the shared key: take the file that is there, or create one. */
export type SecretPlan = { readonly kind: 'existing' } | { readonly kind: 'create' };

/**
 * Reads only: an existing secret file is taken if it passes the daemon's own check (regular, not
 * empty, mode 0600); a missing one will be created; anything else is a problem and nothing is written.
 */
export function assessSecret(path: string): Result<SecretPlan, string> {
  const read = readRegularFile(path, 64 * 1024);
  if (!read.ok && read.error.reason === 'not-found') return ok({ kind: 'create' });
  const found = checkSecretFile(path);
  return found.errors.length > 0 ? err(found.errors.join('; ')) : ok({ kind: 'existing' });
}

/**
 * Creates the secret: 32 random bytes in base64, mode 0600 from the first byte on (never a moment
 * readable by others), refusing to replace a file that appeared meanwhile (O_EXCL).
 */
export function createSecret(path: string): Result<void, string> {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return ok(undefined);
  } catch (e) {
    return err(`cannot create the secret file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
