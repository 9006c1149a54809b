import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../common/clock.js';
import { sentinelError, type SentinelError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import { err, ok, type Result } from '../common/result.js';

export interface JournalWriterOptions {
  /** The live journal file, e.g. /var/lib/drbd-sentinel/journal.jsonl. Rotated files get `.1` ... `.keep`. */
  readonly path: string;
  /** Rotate before a line would make the file larger than this (bytes). */
  readonly maxBytes: number;
  /** Rotated files kept besides the live one (`.1` newest). */
  readonly keep: number;
  /**
   * fdatasync dirty data this often (ms) on `clock`; null: only on `flush()`, rotation and `close()`.
   * Default 5000: a crash loses at most a few seconds of the journal, and no line costs a disk flush.
   */
  readonly syncIntervalMs?: number | null;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * Appends JSON lines to the decision journal with size-based rotation. Each line is written with one
 * synchronous write (lines never interleave and are in the page cache when `append` returns, so they survive
 * a daemon crash); data is forced to disk by a periodic fdatasync, not per line. Never throws: write
 * failures (disk full) are returned and logged, the loop goes on without its journal.
 */
export class JournalWriter {
  private fd: number;
  private size: number;
  private dirty = false;
  private cancelSync: (() => void) | null = null;
  private readonly log: Logger | undefined;

  private constructor(
    private readonly options: JournalWriterOptions,
    fd: number,
    size: number,
  ) {
    this.fd = fd;
    this.size = size;
    this.log = options.logger?.child({ module: 'journal' });
    this.armSync();
  }

  /** Opens (creating the directory 0750 and the file 0640 when missing) for appending. */
  static open(options: JournalWriterOptions): Result<JournalWriter, SentinelError> {
    try {
      mkdirSync(dirname(options.path), { recursive: true, mode: 0o750 });
      const fd = openSync(options.path, 'a', 0o640);
      return ok(new JournalWriter(options, fd, fstatSync(fd).size));
    } catch (e) {
      return err(
        sentinelError('E_INTERNAL', `cannot open journal ${options.path}: ${(e as Error).message}`, e),
      );
    }
  }

  /** Current size of the live file in bytes. */
  get sizeBytes(): number {
    return this.size;
  }

  /** Appends one entry as a JSON line, rotating first when the file would outgrow `maxBytes`. */
  append(entry: unknown): Result<void, SentinelError> {
    if (this.fd < 0) return err(sentinelError('E_INTERNAL', 'journal is closed'));
    let line: Buffer;
    try {
      line = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    } catch (e) {
      return err(
        sentinelError('E_INTERNAL', `journal entry is not serializable: ${(e as Error).message}`, e),
      );
    }
    if (this.size > 0 && this.size + line.length > this.options.maxBytes) {
      const rotated = this.rotate();
      if (!rotated.ok) return rotated;
    }
    try {
      let off = 0;
      while (off < line.length) off += writeSync(this.fd, line, off);
      this.size += line.length;
      this.dirty = true;
      return ok(undefined);
    } catch (e) {
      this.log?.error({ err: e, code: 'journal-write-failed' }, 'journal write failed');
      return err(sentinelError('E_INTERNAL', `journal write failed: ${(e as Error).message}`, e));
    }
  }

  /** Forces written lines to disk (fdatasync). */
  flush(): void {
    if (this.fd < 0 || !this.dirty) return;
    try {
      fdatasyncSync(this.fd);
      this.dirty = false;
    } catch (e) {
      this.log?.warn({ err: e, code: 'journal-sync-failed' }, 'journal sync failed');
    }
  }

  /** Flushes and closes; further appends fail. */
  close(): void {
    this.cancelSync?.();
    this.cancelSync = null;
    if (this.fd < 0) return;
    this.flush();
    try {
      closeSync(this.fd);
    } catch {
      // already closed by the OS: nothing left to release
    }
    this.fd = -1;
  }

  private rotate(): Result<void, SentinelError> {
    const { path, keep } = this.options;
    try {
      this.flush();
      closeSync(this.fd);
      this.fd = -1;
      rmSync(`${path}.${keep}`, { force: true });
      for (let i = keep - 1; i >= 1; i--) {
        try {
          renameSync(`${path}.${i}`, `${path}.${i + 1}`);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
      if (keep >= 1) renameSync(path, `${path}.1`);
      else rmSync(path, { force: true });
      this.fd = openSync(path, 'a', 0o640);
      this.size = fstatSync(this.fd).size;
      this.log?.info({ path, keep }, 'journal rotated');
      return ok(undefined);
    } catch (e) {
      this.log?.error({ err: e, code: 'journal-rotate-failed' }, 'journal rotation failed');
      if (this.fd < 0) {
        try {
          this.fd = openSync(path, 'a', 0o640);
          this.size = fstatSync(this.fd).size;
        } catch {
          // stays closed: appends report the failure
        }
      }
      return err(sentinelError('E_INTERNAL', `journal rotation failed: ${(e as Error).message}`, e));
    }
  }

  private armSync(): void {
    const interval = this.options.syncIntervalMs === undefined ? 5_000 : this.options.syncIntervalMs;
    const clock = this.options.clock;
    if (interval === null || clock === undefined) return;
    this.cancelSync = clock.setTimer(interval, () => {
      this.flush();
      if (this.cancelSync !== null) this.armSync();
    });
  }
}
