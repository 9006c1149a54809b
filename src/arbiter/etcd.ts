import type { Etcd3 } from 'etcd3';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';
import { RateLimitedLog } from '../common/rate-limited-log.js';
import type { EtcdArbiterConfig } from '../config/index.js';
import { createEtcdClient } from './etcd-client.js';
import { ArbiterTimeout, classifyEtcdError, errorText, type ArbiterFailure } from './etcd-errors.js';
import { OwnerWatch, type OwnerChange } from './etcd-owner-watch.js';
import { clusterPrefix, ownerKey, prefixRangeEnd, resourceOfOwnerKey, statusKey } from './etcd-keys.js';
import type {
  ArbiterClaimOutcome,
  ArbiterOwner,
  ArbiterPort,
  ArbiterSnapshot,
  FleetStatusEntry,
} from './port.js';

/** What the adapter reports for metrics (src/metrics); every call is optional. */
export interface ArbiterObserver {
  roundTrip?(op: string, ms: number, ok: boolean): void;
  leaseRenewal?(ok: boolean): void;
  failure?(code: ArbiterFailure): void;
}

export interface EtcdArbiterOptions {
  readonly config: EtcdArbiterConfig;
  readonly cluster: string;
  readonly node: string;
  /** Managed resources, in configuration order. */
  readonly resources: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly observer?: ArbiterObserver;
  /** Test seam: how the client is built (production: createEtcdClient). */
  readonly connect?: (c: EtcdArbiterConfig) => ReturnType<typeof createEtcdClient>;
}

/**
 * The arbiter on etcd (issue 15): one lease per daemon kept alive every third of its TTL, the owner
 * keys of the pair read once and then followed by a watch (re-read and re-watched after any failure,
 * so a broken watch, a compaction or etcd's data loss never leaves a stale view), claims and releases
 * as transactions, the fleet status bound to the lease. Never throws: every failure is a value, a
 * snapshot that says unreachable, and a rate-limited log line with its reason code.
 */
export class EtcdArbiter implements ArbiterPort {
  private readonly log: Logger;
  private readonly limited: RateLimitedLog;
  private readonly listeners = new Set<() => void>();
  private client: Etcd3 | null = null;
  private leaseId: string | null = null;
  private state: ArbiterSnapshot;
  private cancelTimer: (() => void) | null = null;
  private running = false;
  private ticking: Promise<void> | null = null;
  /** The watch on the owner keys; null until the next sync (then the snapshot says unreachable). */
  private watch: OwnerWatch | null = null;
  /** Bumped on every drop, so a watch that opens after it was given up is closed, not used. */
  private watchGeneration = 0;
  /** Per resource, the etcd revision the snapshot's owner is true at (orders watch events against
   *  claim answers; reset by every sync, since etcd's revisions restart after a data loss). */
  private readonly seenRevision = new Map<string, number>();

  constructor(private readonly o: EtcdArbiterOptions) {
    this.log = o.logger.child({ module: 'arbiter' });
    this.limited = new RateLimitedLog(this.log, 30_000);
    this.state = {
      reachable: false,
      ownLeaseValidUntilMs: null,
      leaseTtlMs: null,
      owners: o.resources.map((resource) => ({ resource, owner: null, revision: 0 })),
      lastContactMs: null,
    };
  }

  private get ttlSeconds(): number {
    return Math.max(1, Math.round(this.o.config.leaseTtlMs / 1000));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.ticking;
    this.dropWatch();
    const client = this.client;
    const id = this.leaseId;
    if (client !== null && id !== null) {
      // A planned stop frees the owner keys now rather than after the TTL.
      await this.call('revoke', () => client.leaseClient.leaseRevoke({ ID: id }, this.callOptions())).catch(
        (e: unknown) => this.fail('revoke', e),
      );
    }
    this.leaseId = null;
    this.client?.close();
    this.client = null;
    this.update({ ...this.state, ownLeaseValidUntilMs: null, reachable: false });
  }

  snapshot(): ArbiterSnapshot {
    return this.state;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async claim(resource: string, expectedRevision: number): Promise<ArbiterClaimOutcome> {
    const client = await this.connected();
    const id = this.leaseId;
    if (client === null) return { kind: 'unknown', error: 'etcd client unavailable' };
    if (id === null) return { kind: 'unknown', error: 'no lease: this node is not registered in etcd' };
    const key = Buffer.from(ownerKey(this.o.config.prefix, this.o.cluster, resource));
    try {
      const res = await this.call('claim', () =>
        client.kv.txn(
          {
            compare: [
              { key, target: 2 /* MOD */, result: 0 /* EQUAL */, mod_revision: String(expectedRevision) },
            ],
            success: [{ request_put: { key, value: Buffer.from(this.o.node), lease: id } }],
            failure: [{ request_range: { key } }],
          },
          this.callOptions(),
        ),
      );
      return this.txnOutcome(resource, res);
    } catch (e) {
      return { kind: 'unknown', error: this.fail('claim', e) };
    }
  }

  async release(resource: string): Promise<ArbiterClaimOutcome> {
    const client = await this.connected();
    if (client === null) return { kind: 'unknown', error: 'etcd client unavailable' };
    const key = Buffer.from(ownerKey(this.o.config.prefix, this.o.cluster, resource));
    try {
      const res = await this.call('release', () =>
        client.kv.txn(
          {
            compare: [{ key, target: 3 /* VALUE */, result: 0 /* EQUAL */, value: Buffer.from(this.o.node) }],
            success: [{ request_delete_range: { key } }],
            failure: [{ request_range: { key } }],
          },
          this.callOptions(),
        ),
      );
      if (res.succeeded) {
        const at = Number(res.header.revision);
        this.setOwner({ resource, owner: null, revision: 0 }, at);
        return { kind: 'won', revision: at };
      }
      return this.txnOutcome(resource, res);
    } catch (e) {
      return { kind: 'unknown', error: this.fail('release', e) };
    }
  }

  async publish(entry: FleetStatusEntry): Promise<void> {
    const client = this.client;
    const id = this.leaseId;
    if (client === null || id === null) return;
    const key = Buffer.from(statusKey(this.o.config.prefix, this.o.cluster, this.o.node));
    await this.call('publish', () =>
      client.kv.put({ key, value: Buffer.from(JSON.stringify(entry)), lease: id }, this.callOptions()),
    ).catch((e: unknown) => this.fail('publish', e));
  }

  // ---------------------------------------------------------------------------------------------

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.cancelTimer = this.o.clock.setTimer(delayMs, () => {
      this.ticking = this.tick().finally(() => {
        this.ticking = null;
      });
    });
  }

  /** One renewal round: connect, keep the lease alive (or grant one), read the owner keys. */
  private async tick(): Promise<void> {
    const interval = Math.max(100, Math.floor(this.o.config.leaseTtlMs / 3));
    try {
      const client = await this.connected();
      if (client !== null) {
        const renewed = this.leaseId === null ? await this.grant(client) : await this.keepAlive(client);
        if (renewed && this.watch === null) await this.sync(client);
      }
    } catch (e) {
      this.fail('tick', e);
    }
    // After a failure, try again sooner: the lease may be running out.
    this.schedule(this.state.reachable ? interval : Math.min(interval, 500));
  }

  private async connected(): Promise<Etcd3 | null> {
    if (this.client !== null) return this.client;
    const r = await (this.o.connect ?? createEtcdClient)(this.o.config);
    if (!r.ok) {
      this.limited.warn(
        'ARBITER_CLIENT_UNAVAILABLE',
        this.o.clock.nowMs(),
        { error: r.error },
        'etcd client unavailable',
      );
      this.o.observer?.failure?.('ARBITER_CLIENT_UNAVAILABLE');
      this.markUnreachable();
      return null;
    }
    this.client = r.value;
    return this.client;
  }

  private async grant(client: Etcd3): Promise<boolean> {
    const sentAt = this.o.clock.nowMs();
    try {
      const res = await this.call('grant', () =>
        client.leaseClient.leaseGrant({ TTL: this.ttlSeconds, ID: 0 }, this.callOptions()),
      );
      const grantedMs = Number(res.TTL) * 1000;
      if (res.error) throw new Error(res.error);
      if (grantedMs > this.o.config.leaseTtlMs)
        this.limited.warn(
          'ARBITER_TTL_RAISED',
          sentAt,
          { askedMs: this.o.config.leaseTtlMs, grantedMs },
          'etcd granted a longer lease TTL than configured (its minimum): raise lease-ttl',
        );
      this.leaseId = res.ID;
      this.log.info({ lease: res.ID, ttlMs: grantedMs }, 'arbiter lease granted');
      this.o.observer?.leaseRenewal?.(true);
      this.contact(sentAt, { ownLeaseValidUntilMs: sentAt + grantedMs, leaseTtlMs: grantedMs });
      return true;
    } catch (e) {
      this.o.observer?.leaseRenewal?.(false);
      this.fail('grant', e);
      return false;
    }
  }

  private async keepAlive(client: Etcd3): Promise<boolean> {
    const id = this.leaseId as string;
    const sentAt = this.o.clock.nowMs();
    try {
      const res = await this.call('keep-alive', () => this.keepAliveOnSomeMember(client, id));
      const ttlMs = Number(res.TTL) * 1000;
      if (ttlMs <= 0) {
        // Expired, revoked, or etcd lost its data: the owner keys bound to it are gone; start over.
        this.leaseId = null;
        this.o.observer?.leaseRenewal?.(false);
        this.limited.warn(
          'ARBITER_LEASE_LOST',
          sentAt,
          { lease: id },
          'arbiter lease lost: granting a new one',
        );
        this.o.observer?.failure?.('ARBITER_LEASE_LOST');
        // Possibly a data loss: etcd's revisions restarted, so the watch's start revision is meaningless.
        this.dropWatch();
        this.update({ ...this.state, ownLeaseValidUntilMs: null });
        return this.grant(client);
      }
      this.o.observer?.leaseRenewal?.(true);
      this.contact(sentAt, { ownLeaseValidUntilMs: sentAt + ttlMs, leaseTtlMs: ttlMs });
      return true;
    } catch (e) {
      this.o.observer?.leaseRenewal?.(false);
      this.fail('keep-alive', e);
      return false;
    }
  }

  /**
   * Reads every owner key of the pair in one range request, then watches them from the revision after
   * that read: nothing changed between the two is missed (list, then watch).
   */
  private async sync(client: Etcd3): Promise<void> {
    const base = clusterPrefix(this.o.config.prefix, this.o.cluster);
    const sentAt = this.o.clock.nowMs();
    const generation = this.watchGeneration;
    let opening: Promise<OwnerWatch> | null = null;
    try {
      const res = await this.call('read', () =>
        client.kv.range({ key: Buffer.from(base), range_end: prefixRangeEnd(base) }, this.callOptions()),
      );
      const revision = Number(res.header.revision);
      const found = new Map<string, ArbiterOwner>();
      for (const kv of res.kvs) {
        const resource = resourceOfOwnerKey(base, kv.key.toString());
        if (resource !== null)
          found.set(resource, { resource, owner: kv.value.toString(), revision: Number(kv.mod_revision) });
      }
      this.seenRevision.clear();
      for (const r of this.o.resources) this.seenRevision.set(r, revision);
      this.update({
        ...this.state,
        owners: this.o.resources.map((r) => found.get(r) ?? { resource: r, owner: null, revision: 0 }),
      });
      const keys = this.o.resources.map((r) => ownerKey(this.o.config.prefix, this.o.cluster, r));
      const open = OwnerWatch.open(
        client,
        keys,
        revision + 1,
        (c) => this.watched(c),
        (why) => this.watchBroken(why),
      );
      opening = open;
      const watch = await this.call('watch', () => open);
      if (generation !== this.watchGeneration || !this.running) {
        void watch.close();
        return;
      }
      this.watch = watch;
      this.contact(sentAt, {});
    } catch (e) {
      // A watch that opens after its time ran out is closed when it does.
      void opening?.then(
        (w) => w.close(),
        () => undefined,
      );
      this.fail('sync', e);
    }
  }

  private watched(c: OwnerChange): void {
    const resource = resourceOfOwnerKey(clusterPrefix(this.o.config.prefix, this.o.cluster), c.key);
    if (resource === null) return;
    this.setOwner({ resource, owner: c.value, revision: c.modRevision }, c.atRevision);
  }

  private watchBroken(why: string): void {
    this.watch = null;
    this.watchGeneration++;
    this.limited.warn(
      'ARBITER_WATCH_LOST',
      this.o.clock.nowMs(),
      { error: why },
      'arbiter watch lost: re-reading',
    );
    this.o.observer?.failure?.('ARBITER_WATCH_LOST');
    this.markUnreachable();
    // Re-read at once rather than at the next renewal: an owner change must not wait a third of the TTL.
    if (this.running && this.ticking === null) {
      this.cancelTimer?.();
      this.schedule(Math.min(200, this.o.config.timeoutMs));
    }
  }

  /** Gives up the watch; the next successful renewal re-reads the keys and watches again. */
  private dropWatch(): void {
    this.watchGeneration++;
    const w = this.watch;
    this.watch = null;
    void w?.close();
  }

  private txnOutcome(
    resource: string,
    res: {
      succeeded: boolean;
      header: { revision: string };
      responses: { response_range?: { kvs: { value: Buffer; mod_revision: string }[] } }[];
    },
  ): ArbiterClaimOutcome {
    this.contact(this.o.clock.nowMs(), {});
    const at = Number(res.header.revision);
    if (res.succeeded) {
      this.setOwner({ resource, owner: this.o.node, revision: at }, at);
      return { kind: 'won', revision: at };
    }
    const kv = res.responses[0]?.response_range?.kvs[0];
    const current = {
      resource,
      owner: kv?.value.toString() ?? null,
      revision: kv === undefined ? 0 : Number(kv.mod_revision),
    };
    this.setOwner(current, at);
    return { kind: 'lost', owner: current.owner, revision: current.revision };
  }

  /** Records what etcd said about one owner key at revision `at`, unless something newer is known. */
  private setOwner(owner: ArbiterOwner, at: number): void {
    if (at < (this.seenRevision.get(owner.resource) ?? 0)) return;
    this.seenRevision.set(owner.resource, at);
    this.update({
      ...this.state,
      owners: this.state.owners.map((o) => (o.resource === owner.resource ? owner : o)),
    });
  }

  /**
   * One keep-alive, tried on up to two members per endpoint: etcd3 opens each keep-alive stream on a
   * member picked at random and, unlike its unary calls, never moves a failed stream to another one, so
   * with one of three members down a third of the renewals would fail. A member that hangs instead of
   * refusing is bounded by call()'s timeout.
   */
  private async keepAliveOnSomeMember(client: Etcd3, id: string): Promise<{ TTL: string }> {
    const attempts = 2 * this.o.config.endpoints.length;
    for (let i = 1; ; i++) {
      try {
        return await this.keepAliveOnce(client, id);
      } catch (e) {
        if (i >= attempts || !this.running) throw e;
      }
    }
  }

  private async keepAliveOnce(client: Etcd3, id: string): Promise<{ TTL: string }> {
    const stream = await client.leaseClient.leaseKeepAlive(this.callOptions());
    try {
      return await new Promise<{ TTL: string }>((resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', reject);
        stream.on('end', () => reject(new Error('keep-alive stream ended')));
        stream.write({ ID: id });
      });
    } finally {
      stream.end();
    }
  }

  private callOptions(): { deadline: Date } {
    // gRPC takes its deadline as a wall-clock Date; the timeout that counts is call()'s, on the Clock.
    // eslint-disable-next-line no-restricted-syntax
    return { deadline: new Date(Date.now() + this.o.config.timeoutMs) };
  }

  /** Runs one request under the arbiter's timeout (measured on the Clock), reporting its round trip. */
  private async call<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const t0 = this.o.clock.nowMs();
    const ms = this.o.config.timeoutMs;
    let cancel: () => void = () => undefined;
    const timeout = new Promise<never>((_, reject) => {
      cancel = this.o.clock.setTimer(ms, () => reject(new ArbiterTimeout(op, ms)));
    });
    try {
      const r = await Promise.race([fn(), timeout]);
      this.o.observer?.roundTrip?.(op, this.o.clock.nowMs() - t0, true);
      return r;
    } catch (e) {
      this.o.observer?.roundTrip?.(op, this.o.clock.nowMs() - t0, false);
      throw e;
    } finally {
      cancel();
    }
  }

  /** Logs a failed request with its reason code, marks etcd unreachable; returns the error text. */
  private fail(op: string, e: unknown): string {
    const code = classifyEtcdError(e);
    const text = errorText(e);
    this.o.observer?.failure?.(code);
    this.limited.warn(code, this.o.clock.nowMs(), { op, error: text }, `arbiter ${op} failed`);
    if (code === 'ARBITER_LEASE_LOST') {
      this.leaseId = null;
      this.update({ ...this.state, ownLeaseValidUntilMs: null });
    }
    // A refusal (permissions, auth) is an answer, but not one the pair can use: treat as unreachable.
    // The watch may be on a connection that hangs: re-read and re-watch once etcd answers again.
    this.dropWatch();
    this.markUnreachable();
    return `${code}: ${text}`;
  }

  private markUnreachable(): void {
    if (this.state.reachable) this.update({ ...this.state, reachable: false });
  }

  /** etcd answered. The snapshot says reachable only while the watch keeps its owners current. */
  private contact(atMs: number, patch: Partial<ArbiterSnapshot>): void {
    this.update({ ...this.state, ...patch, reachable: this.watch !== null, lastContactMs: atMs });
  }

  private update(next: ArbiterSnapshot): void {
    const prev = this.state;
    this.state = next;
    // lastContactMs and the lease deadline move on every renewal; wake the loop only on facts.
    const same =
      prev.reachable === next.reachable &&
      (prev.ownLeaseValidUntilMs === null) === (next.ownLeaseValidUntilMs === null) &&
      prev.leaseTtlMs === next.leaseTtlMs &&
      JSON.stringify(prev.owners) === JSON.stringify(next.owners);
    if (same) return;
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.log.error({ code: 'ARBITER_LISTENER_THREW', error: errorText(e) }, 'arbiter listener threw');
      }
    }
  }
}
