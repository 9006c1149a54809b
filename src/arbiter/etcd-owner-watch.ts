import type { Etcd3, IWatchResponse, Watcher } from 'etcd3';

/** One change of an owner key as the watch delivered it. */
export interface OwnerChange {
  readonly key: string;
  /** The new value; null when the key was deleted (released, or its lease expired). */
  readonly value: string | null;
  /** The key's mod revision after the change (0 when deleted: the compare of the next claim). */
  readonly modRevision: number;
  /** etcd's revision of the change (orders it against claim answers and the sync read). */
  readonly atRevision: number;
}

/**
 * Watches the owner keys of one pair from a given revision on (effects: one gRPC watch per key, all on
 * the client's single watch stream). etcd3 would reconnect a broken watch by itself and resume from
 * the revision it last saw; after etcd lost its data that revision lies in the future and every change
 * up to it would be missed, and after a compaction it is gone. So this never resumes: a broken or
 * cancelled watch is reported once through `onBroken` and closed, and the owner re-reads the keys and
 * starts a new one from the revision of that read (list, then watch).
 */
export class OwnerWatch {
  private readonly watchers: Watcher[] = [];
  private closed = false;
  /** All watchers confirmed: from now on a break goes to `onBroken` (before, `open` rejects). */
  private opened = false;

  private constructor(private readonly onBroken: (why: string) => void) {}

  /**
   * Attaches one watcher per key, starting at `fromRevision`, and resolves once etcd confirmed all of
   * them. `onChange` gets every change in revision order; `onBroken` at most once.
   */
  static async open(
    client: Etcd3,
    keys: readonly string[],
    fromRevision: number,
    onChange: (c: OwnerChange) => void,
    onBroken: (why: string) => void,
  ): Promise<OwnerWatch> {
    const w = new OwnerWatch(onBroken);
    const confirmed = keys.map((key) => {
      const watcher = client.watch().key(key).startRevision(String(fromRevision)).watcher();
      w.watchers.push(watcher);
      watcher.on('data', (res: IWatchResponse) => {
        if (w.closed) return;
        for (const ev of res.events) {
          const deleted = ev.type === 'Delete';
          onChange({
            key: ev.kv.key.toString(),
            value: deleted ? null : ev.kv.value.toString(),
            modRevision: deleted ? 0 : Number(ev.kv.mod_revision),
            atRevision: Number(ev.kv.mod_revision),
          });
        }
      });
      return new Promise<void>((resolve, reject) => {
        watcher.once('connected', () => resolve());
        watcher.on('disconnected', (e: Error) => {
          reject(e);
          w.broken(`watch disconnected: ${e.message}`);
        });
        // A cancel by etcd (compacted start revision, permission denied) arrives as 'error'.
        watcher.on('error', (e: Error) => {
          reject(e);
          w.broken(`watch cancelled: ${e.message}`);
        });
      });
    });
    try {
      await Promise.all(confirmed);
    } catch (e) {
      void w.close();
      throw e;
    }
    w.opened = true;
    return w;
  }

  /**
   * Detaches every watcher (etcd3 drops them from its stream and stops reconnecting them). Resolves
   * when etcd confirmed the cancels; callers that must not wait on a dead stream do not await it.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.watchers.splice(0).map((x) => x.cancel().catch(() => undefined)));
  }

  private broken(why: string): void {
    if (this.closed) return;
    const report = this.opened;
    void this.close();
    if (report) this.onBroken(why);
  }
}
