/**
 * Presentation requests and their nonces: single use, even under concurrent submission. Memory by
 * default; Redis (`GETDEL`, atomic) so replicas share them.
 */
import { MaskidError, type ClaimName } from '@maskid/core';

export interface RequestRecord {
  nonce: string;
  claims: ClaimName[];
  expiresAt: number;
}

export interface NonceStore {
  put(requestId: string, record: RequestRecord, ttlMs: number): Promise<void>;
  /** Returns the record and removes it, atomically; undefined when unknown, used or expired. */
  take(requestId: string): Promise<RequestRecord | undefined>;
  close(): Promise<void>;
}

/** Expired entries dropped per `put`: more than one, so the store shrinks after a burst. */
const EVICT_PER_PUT = 4;

/**
 * In-process store (one verifier process). Requests that are never answered (a person who closes the
 * page) expire: every `put` drops a few expired entries from the front of the map, where the oldest
 * are (one request ttl per service, so insertion order is expiry order). The store stays at about
 * rate × ttl entries instead of growing to `maxEntries`, which cost long GC pauses and one sweep of
 * the whole map when it was full.
 */
export class MemoryNonceStore implements NonceStore {
  readonly #map = new Map<string, RequestRecord>();
  readonly #max: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.#max = options.maxEntries ?? 1_000_000;
  }

  async put(requestId: string, record: RequestRecord): Promise<void> {
    const now = Date.now();
    let evicted = 0;
    for (const [k, v] of this.#map) {
      if (v.expiresAt > now || evicted++ === EVICT_PER_PUT) break;
      this.#map.delete(k);
    }
    if (this.#map.size >= this.#max) this.#sweep(now);
    if (this.#map.size >= this.#max) throw new MaskidError('ERR_OVERLOADED', `too many open presentation requests (${this.#max}); retry shortly`);
    this.#map.set(requestId, record);
  }

  async take(requestId: string): Promise<RequestRecord | undefined> {
    const r = this.#map.get(requestId);
    if (!r) return undefined;
    this.#map.delete(requestId);
    return r.expiresAt > Date.now() ? r : undefined;
  }

  #sweep(now: number): void {
    for (const [k, v] of this.#map) if (v.expiresAt <= now) this.#map.delete(k);
  }

  get size(): number {
    return this.#map.size;
  }

  async close(): Promise<void> {}
}

/** The few Redis commands the store needs (node-redis v5 client or compatible). */
export interface RedisLike {
  set(key: string, value: string, options: { PX: number }): Promise<unknown>;
  getDel(key: string): Promise<string | null>;
  quit?(): Promise<unknown>;
  close?(): Promise<unknown>;
}

/** Redis-backed store: a request used on replica A is gone for replica B. */
export class RedisNonceStore implements NonceStore {
  constructor(private readonly client: RedisLike, private readonly prefix = 'maskid:req:') {}

  /** Connects to `url` with node-redis. */
  static async connect(url: string, prefix?: string): Promise<RedisNonceStore> {
    const { createClient } = await import('redis');
    const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: (n: number) => Math.min(n * 100, 2000) } });
    client.on('error', () => {});
    await client.connect();
    return new RedisNonceStore(client as unknown as RedisLike, prefix);
  }

  async put(requestId: string, record: RequestRecord, ttlMs: number): Promise<void> {
    await this.client.set(this.prefix + requestId, JSON.stringify(record), { PX: Math.max(1, ttlMs) });
  }

  async take(requestId: string): Promise<RequestRecord | undefined> {
    const raw = await this.client.getDel(this.prefix + requestId);
    if (!raw) return undefined;
    const r = JSON.parse(raw) as RequestRecord;
    return r.expiresAt > Date.now() ? r : undefined;
  }

  async close(): Promise<void> {
    await (this.client.close?.() ?? this.client.quit?.());
  }
}
