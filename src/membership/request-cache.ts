import type { PeerReply } from './peer-protocol.js';

type Entry =
  | { readonly state: 'pending' }
  | { readonly state: 'done'; readonly reply: PeerReply; readonly atMs: number };

/**
 * The receiver's memory of peer requests, so each request id is handled once and every duplicate
 * (a retry on the same or another link) gets the same reply. Keyed by sender incarnation and id.
 * Bounded: done entries expire after `ttlMs` and at most `maxEntries` are kept. No I/O; time is an
 * argument.
 */
export class RequestCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = 300_000,
    private readonly maxEntries = 1024,
  ) {}

  static key(incarnation: number, id: string): string {
    return `${incarnation}:${id}`;
  }

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  /** Marks `key` in progress (the caller runs the handler once). */
  begin(key: string, nowMs: number): void {
    this.prune(nowMs);
    this.entries.set(key, { state: 'pending' });
  }

  finish(key: string, reply: PeerReply, nowMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { state: 'done', reply, atMs: nowMs });
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(nowMs: number): void {
    // Done entries sit in the order they finished (finish re-inserts), so the expired ones come first.
    for (const [k, e] of this.entries) {
      if (e.state !== 'done') continue;
      if (nowMs - e.atMs <= this.ttlMs) break;
      this.entries.delete(k);
    }
    if (this.entries.size < this.maxEntries) return;
    // Oldest first (Map keeps insertion order); pending entries stay, their handlers still run.
    for (const [k, e] of this.entries) {
      if (this.entries.size < this.maxEntries) break;
      if (e.state === 'done') this.entries.delete(k);
    }
  }
}
