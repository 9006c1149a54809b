/**
 * The one line splitter for newline-delimited streams (NDJSON over sockets, events2 and other child output):
 * chunks go in as they arrive, complete lines come out one at a time. Bytes are joined before decoding, so a
 * UTF-8 character split across two chunks stays whole. Pure data structure: no I/O, no timers.
 */
export class LineSplitter {
  private buffer: Buffer = Buffer.alloc(0);

  /** Appends a chunk (a string is taken as UTF-8). */
  push(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.buffer = this.buffer.length === 0 ? bytes : Buffer.concat([this.buffer, bytes]);
  }

  /** Byte length of the next complete line (without its newline), or null while no line is complete. */
  nextLineBytes(): number | null {
    const nl = this.buffer.indexOf(0x0a);
    return nl < 0 ? null : nl;
  }

  /** Takes the next complete line, without its newline (a `\r` before it stays); null while none is complete. */
  next(): string | null {
    const nl = this.buffer.indexOf(0x0a);
    if (nl < 0) return null;
    const line = this.buffer.subarray(0, nl).toString('utf8');
    this.buffer = this.buffer.subarray(nl + 1);
    return line;
  }

  /** Bytes received and not yet taken: complete lines still queued plus an unfinished last line. */
  get bufferedBytes(): number {
    return this.buffer.length;
  }

  /** Drops everything buffered (a new connection, a restarted child). */
  clear(): void {
    this.buffer = Buffer.alloc(0);
  }
}

/** Appends a chunk and returns every line it completed (for readers that take all lines at once). */
export function pushLines(splitter: LineSplitter, chunk: Buffer | string): string[] {
  splitter.push(chunk);
  const out: string[] = [];
  for (let line = splitter.next(); line !== null; line = splitter.next()) out.push(line);
  return out;
}
