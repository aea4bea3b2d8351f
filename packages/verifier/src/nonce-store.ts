/**
 * Presentation requests and their nonces: single use, even under concurrent submission. Memory by
 * default; Redis (`GETDEL`, atomic) so replicas share them.
 */
import { MaskidError, type ClaimName, type CredentialFormat } from '@maskid/core';

/** What the verifier remembers of a presentation request until it is answered: the nonce, the claims and the form asked for. */
export interface RequestRecord {
  nonce: string;
  claims: ClaimName[];
  expiresAt: number;
  /** The credential form the request's DCQL query names (absent in records from before both forms: either is accepted). */
  format?: CredentialFormat;
}

/**
 * Single-use presentation requests: `take` returns a record once, to one caller, and only before it
 * expires (memory for one process, Redis for replicas).
 */
export interface NonceStore {
  put(requestId: string, record: RequestRecord, ttlMs: number): Promise<void>;
  /** Returns the record and removes it, atomically; undefined when unknown, used or expired. */
  take(requestId: string): Promise<RequestRecord | undefined>;
  close(): Promise<void>;
}

/**
 * In-process store (one verifier process). Requests that are never answered (a person who closes the
 * page) are dropped in whole generations: entries go into the current map; once per request ttl the
 * current map becomes the previous one and the previous one is dropped, so an entry is kept for at
 * least its ttl and at most two, and the store holds about 2 × rate × ttl entries instead of growing
 * to `maxEntries` (which cost long GC pauses, then a sweep of the whole map when it was full).
 * Evicting single entries from the front of one map instead is quadratic in V8, whose maps keep the
 * slots of answered (deleted) requests until they are rehashed.
 */
export class MemoryNonceStore implements NonceStore {
  #current = new Map<string, RequestRecord>();
  #previous = new Map<string, RequestRecord>();
  /** When the current generation ends, and its length (the longest ttl seen). */
  #rotateAt = 0;
  #generationMs = 0;
  readonly #max: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.#max = options.maxEntries ?? 1_000_000;
  }

  async put(requestId: string, record: RequestRecord, ttlMs: number): Promise<void> {
    const now = Date.now();
    if (ttlMs > this.#generationMs) this.#generationMs = ttlMs;
    if (now >= this.#rotateAt) {
      // Everything in the current generation was put before #rotateAt with a ttl of at most
      // #generationMs: after one more generation all of it has expired too.
      this.#previous = now >= this.#rotateAt + this.#generationMs ? new Map() : this.#current;
      this.#current = new Map();
      this.#rotateAt = now + this.#generationMs;
    }
    if (this.size >= this.#max) this.#sweep(now);
    if (this.size >= this.#max) throw new MaskidError('ERR_OVERLOADED', `too many open presentation requests (${this.#max}); retry shortly`);
    this.#current.set(requestId, record);
  }

  async take(requestId: string): Promise<RequestRecord | undefined> {
    const current = this.#current.get(requestId);
    const r = current ?? this.#previous.get(requestId);
    if (!r) return undefined;
    (current ? this.#current : this.#previous).delete(requestId);
    return r.expiresAt > Date.now() ? r : undefined;
  }

  #sweep(now: number): void {
    for (const map of [this.#previous, this.#current]) for (const [k, v] of map) if (v.expiresAt <= now) map.delete(k);
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
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
  constructor(
    private readonly client: RedisLike,
    private readonly prefix = 'maskid:req:',
  ) {}

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
