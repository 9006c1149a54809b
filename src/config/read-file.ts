import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { err, ok, type Result } from '../common/result.js';

/**
 * Refuse absurdly large files: a configuration is a few KiB; a megabyte is the wrong file. Documented in
 * docs/configuration.md. Here rather than in load.ts so that the CLI can read control.socket without the
 * schema.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Why a file was not read: a stable reason code (for logs and tests) and a sentence for the operator. */
export interface ReadFileRefusal {
  readonly reason: 'not-found' | 'permission' | 'not-regular' | 'too-large' | 'io-error';
  readonly message: string;
}

/** What kind of file `st` is, in words (for "it is a FIFO"). */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function sizeText(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

function openError(e: unknown): ReadFileRefusal {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { reason: 'not-found', message: 'it does not exist' };
  if (code === 'EACCES' || code === 'EPERM') return { reason: 'permission', message: 'permission denied' };
  return { reason: 'io-error', message: code ?? String(e) };
}

/**
 * Opens `path` for reading without ever blocking: O_NONBLOCK makes opening a FIFO nobody writes return at
 * once, and fstat on the opened descriptor (not the path: no race with a rename) refuses anything but a
 * regular file, so neither a FIFO nor /dev/zero can hold a reader forever. Returns the descriptor and its
 * stats; the caller closes it. Never throws.
 */
export function openRegularFile(path: string): Result<{ fd: number; stats: Stats }, ReadFileRefusal> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return err(openError(e));
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      closeSync(fd);
      return err({ reason: 'not-regular', message: `it is ${kindOf(stats)}, not a regular file` });
    }
    return ok({ fd, stats });
  } catch (e) {
    closeSync(fd);
    return err(openError(e));
  }
}

/**
 * Reads a whole regular file of at most `maxBytes` bytes (see {@link openRegularFile}). A file that grows past
 * the limit while it is read is refused too: the limit holds for the bytes read, not for a stat taken before.
 * Synchronous (startup and reload only). Never throws.
 */
export function readRegularFile(
  path: string,
  maxBytes: number,
): Result<{ data: Buffer; stats: Stats }, ReadFileRefusal> {
  const opened = openRegularFile(path);
  if (!opened.ok) return opened;
  const { fd, stats } = opened.value;
  const tooLarge = (n: number | string): Result<never, ReadFileRefusal> =>
    err({ reason: 'too-large', message: `it is ${n} bytes, larger than the limit of ${sizeText(maxBytes)}` });
  try {
    if (stats.size > maxBytes) return tooLarge(stats.size);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) return tooLarge(`more than ${maxBytes}`);
    }
    return ok({ data: buffer.subarray(0, length), stats });
  } catch (e) {
    return err(openError(e));
  } finally {
    closeSync(fd);
  }
}
