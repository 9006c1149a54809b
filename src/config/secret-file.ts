import { readFileSync, statSync } from 'node:fs';

/** What the secret-file check found: errors stop the load, warnings are reported. */
export interface SecretFileFindings {
  readonly errors: string[];
  readonly warnings: string[];
}

const MIN_SECRET_BYTES = 16;

/**
 * Checks the cluster's shared key file: it exists, is a regular file, is not empty, and is neither
 * readable nor writable by group or others (a key others can read lets them forge heartbeats).
 * Reads the file synchronously (startup and reload only). Never throws.
 */
export function checkSecretFile(path: string): SecretFileFindings {
  const errors: string[] = [];
  const warnings: string[] = [];
  const create = `create it on one node with \`umask 077; head -c 32 /dev/urandom | base64 > ${path}\` and copy it to the other (same content on both)`;
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) return { errors: [`secret file ${path} is not a regular file`], warnings };
    mode = st.mode & 0o777;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { errors: [`secret file ${path} does not exist: ${create}`], warnings };
    return { errors: [`secret file ${path} cannot be read: ${code ?? String(e)}`], warnings };
  }
  if ((mode & 0o066) !== 0) {
    errors.push(
      `secret file ${path} has mode ${mode.toString(8).padStart(4, '0')}: it must not be readable or writable by group or others (chmod 600 ${path})`,
    );
  }
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    errors.push(`secret file ${path} cannot be read: ${code ?? String(e)}`);
    return { errors, warnings };
  }
  const trimmed = content.toString('utf8').trim();
  if (trimmed.length === 0) errors.push(`secret file ${path} is empty: ${create}`);
  else if (trimmed.length < MIN_SECRET_BYTES) {
    warnings.push(
      `secret file ${path} holds only ${trimmed.length} characters: use at least 32 random bytes (head -c 32 /dev/urandom | base64)`,
    );
  }
  return { errors, warnings };
}
