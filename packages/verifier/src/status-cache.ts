/**
 * StatusListCache: the platform's revocation and suspension status, held in memory and kept current
 * by the issuer's signed manifest, never by a fetch result.
 *
 * - The manifest is polled (conditional GET; a 304 only saves bytes) about once an epoch. A new one
 *   is accepted only when its signature verifies under the key list, it is for this platform, its
 *   `iat` is not older than the staleness bound, and nothing in it goes back: not its epoch, not the
 *   epoch of any list (`ERR_ROLLBACK`; the held manifest is kept).
 * - A manifest carries the entries that changed since an epoch `since` (its `changes`): when the
 *   previous manifest is at least that recent, every list held as it named is moved to its new epoch by
 *   applying them, in the same step as the manifest is taken (one request per epoch).
 * - For each list whose named epoch is still newer than the held one (a cold start, a verifier too far
 *   behind), the immutable version URL is fetched; it must carry exactly that epoch. A list named at
 *   epoch 0 never changed: all zeros, nothing to fetch.
 * - Freshness comes from signed time only: the whole cache is stale `maxStalenessMs` after the newest
 *   verified manifest's `iat`, and a held list from the `iat` of the first manifest that named a newer
 *   version of it. Past that, lookups fail closed (`ERR_STATUS_UNAVAILABLE`). A list the manifest says
 *   changed but that was never fetched fails closed at once. `maxStalenessMs` defaults to the
 *   manifest's lifetime.
 */
import { createHash } from 'node:crypto';
import { verifyJoseSignature } from './signature.js';
import {
  BitstringStatusList,
  DEFAULT_STATUS_CAPACITY,
  MIN_STATUS_LIST_ENTRIES,
  MaskidError,
  STATUS_PURPOSES,
  TYP_STATUS_MANIFEST,
  TYP_VC_JWT,
  checkStatusListCredential,
  checkStatusManifest,
  decodeJwt,
  isAllowedAlg,
  manifestLengthLimit,
  manifestUrl,
  parseStatusListIndex,
  statusListUrl,
  statusListVersionUrl,
  type BitstringStatusListEntry,
  type StatusChanges,
  type StatusManifest,
  type StatusPurpose,
} from '@maskid/core';
import { CompactBits } from './compact-bits.js';
import type { AllowListFetcher } from './fetcher.js';
import type { IssuerKeyCache } from './issuer-keys.js';

/** The longest manifest accepted at the default capacity (2³¹ entries per purpose, 2 × 16,384 lists): ~234 KiB. */
export const MAX_MANIFEST_LENGTH = manifestLengthLimit(DEFAULT_STATUS_CAPACITY / MIN_STATUS_LIST_ENTRIES);

interface HeldList {
  epoch: number;
  /** The list's bits, held in proportion to what is set. */
  bits: CompactBits;
  /** ms: the `iat` of the first verified manifest that named a newer epoch than this one. */
  staleSince?: number;
}

interface IssuerStatus {
  did: string;
  url: string;
  manifestUrl: string;
  manifest?: StatusManifest;
  manifestJwt?: string;
  etag?: string;
  lists: Map<string, HeldList>;
  timer?: ReturnType<typeof setTimeout>;
}

/** Options of {@link StatusListCache}. */
export interface StatusCacheOptions {
  platform: string;
  /** Trusted issuers (did and base URL). */
  issuers: readonly { did: string; url: string }[];
  /** Staleness bound (ms); default: each manifest's lifetime. */
  maxStalenessMs?: number;
  /** Manifest poll interval (ms); default: the manifest's `epochSeconds`. */
  pollMs?: number;
  now?: () => number;
  skewSeconds?: number;
  /**
   * Entries per purpose accepted from an issuer (default 2³¹). The manifest length limit follows from
   * it ({@link manifestLengthLimit} of the lists it allows at the smallest list size).
   */
  capacity?: number;
  /** Lists fetched at once per issuer (default 8). */
  concurrency?: number;
  onError?: (url: string, error: Error) => void;
}

const listKey = (purpose: StatusPurpose, n: number) => `${purpose}-${n}`;

/**
 * The status cache.
 *
 * @example
 * ```ts
 * const status = new StatusListCache(keys, fetcher, { platform: 'forum', issuers: [{ did, url }] })
 * await status.start()
 * status.lookup(entry, did) // true when the bit is set; ERR_STATUS_UNAVAILABLE when too stale
 * ```
 */
export class StatusListCache {
  readonly #issuers = new Map<string, IssuerStatus>();
  readonly #now: () => number;
  readonly #urlIndex = new Map<string, { purpose: StatusPurpose; n: number }>();
  #stopped = false;
  /** Failed or refused manifest and list fetches. */
  readonly errors = { count: 0 };

  constructor(
    private readonly keys: IssuerKeyCache,
    private readonly fetcher: AllowListFetcher,
    private readonly options: StatusCacheOptions,
  ) {
    this.#now = options.now ?? Date.now;
    for (const i of options.issuers) {
      this.#issuers.set(i.did, { did: i.did, url: i.url, manifestUrl: manifestUrl(i.url, options.platform), lists: new Map() });
    }
  }

  /** Loads every issuer's manifest and the lists it names; resolves when done (errors are counted). */
  async start(): Promise<void> {
    await Promise.all([...this.#issuers.values()].map((s) => this.#poll(s)));
  }

  stop(): void {
    this.#stopped = true;
    for (const s of this.#issuers.values()) if (s.timer) clearTimeout(s.timer);
  }

  /** Polls every manifest now (and fetches what changed). */
  async refresh(): Promise<void> {
    await Promise.all([...this.#issuers.values()].map((s) => this.refreshIssuer(s.did)));
  }

  /** One poll of one issuer's manifest, then the lists it names that are not held yet. */
  async refreshIssuer(did: string): Promise<void> {
    const s = this.#issuers.get(did);
    if (!s) throw new MaskidError('ERR_ISSUER_UNTRUSTED', 'not a trusted issuer');
    try {
      await this.#refreshManifest(s);
    } catch (e) {
      this.#error(s.manifestUrl, e as Error);
    }
    if (s.manifest) await this.#fetchLists(s, s.manifest);
  }

  /** The staleness bound for a manifest (ms). */
  #bound(m: Pick<StatusManifest, 'iat' | 'exp'>): number {
    return this.options.maxStalenessMs ?? (m.exp - m.iat) * 1000;
  }

  async #poll(s: IssuerStatus): Promise<void> {
    await this.refreshIssuer(s.did);
    if (this.#stopped) return;
    const every = this.options.pollMs ?? (s.manifest ? s.manifest.epochSeconds * 1000 : 30_000);
    const ok = s.manifest !== undefined && this.#now() - s.manifest.iat * 1000 <= this.#bound(s.manifest);
    s.timer = setTimeout(() => void this.#poll(s), Math.max(1000, ok ? every : Math.min(every, 5000)));
    s.timer.unref();
  }

  async #refreshManifest(s: IssuerStatus): Promise<void> {
    const res = await this.fetcher.get(s.manifestUrl, s.etag);
    if (res.status === 304 && s.manifest) return;
    if (res.status !== 200 || !res.body) throw new MaskidError('ERR_STATUS_UNAVAILABLE', `manifest: HTTP ${res.status}`);
    const jwt = res.body.trim();
    if (jwt === s.manifestJwt) return;
    const capacity = this.options.capacity ?? DEFAULT_STATUS_CAPACITY;
    const { header, payload, signingInput, signature } = decodeJwt(jwt, manifestLengthLimit(Math.ceil(capacity / MIN_STATUS_LIST_ENTRIES)));
    if (header['typ'] !== TYP_STATUS_MANIFEST) throw new MaskidError('ERR_TYP_INVALID', `manifest typ must be ${TYP_STATUS_MANIFEST}`);
    this.#verify(s.did, header, signingInput, signature, payload['iat']);
    const now = this.#now();
    const m = checkStatusManifest(payload, {
      issuer: s.did,
      platform: this.options.platform,
      issuerUrl: s.url,
      now,
      skewSeconds: this.options.skewSeconds ?? 60,
      maxEntries: capacity,
      held: s.manifest,
    });
    if (now - m.iat * 1000 > this.#bound(m)) throw new MaskidError('ERR_STATUS_MANIFEST_INVALID', 'status manifest: older than the staleness bound');
    if (s.manifest && m.epoch === s.manifest.epoch) throw new MaskidError('ERR_ROLLBACK', `status manifest: epoch ${m.epoch} again with other bytes`);
    // The manifest's own changes bring every list held as of the previous manifest to its new epoch, in
    // this same step (a lookup never sees a mix that no manifest named); the rest is fetched below.
    if (s.manifest && m.changes && s.manifest.epoch >= m.changes.since) this.#applyChanges(s, s.manifest, m, m.changes);
    for (const purpose of STATUS_PURPOSES) {
      const epochs = m.epochs[purpose];
      for (let n = 0; n < epochs.length; n++) {
        const held = s.lists.get(listKey(purpose, n));
        if (held && epochs[n]! > held.epoch && held.staleSince === undefined) held.staleSince = m.iat * 1000;
      }
    }
    s.manifest = m;
    s.manifestJwt = jwt;
    if (res.etag) s.etag = res.etag;
  }

  /**
   * Moves every list that changed between `prev` and `m` and is held exactly as `prev` named it (or was
   * all zeros then) to its new epoch by applying the manifest's changes; a moved list without an entry
   * kept its bits (it was only re-signed).
   */
  #applyChanges(s: IssuerStatus, prev: StatusManifest, m: StatusManifest, changes: StatusChanges): void {
    const offsets = new Map<string, { set: number[]; clear: number[] }>();
    for (const purpose of STATUS_PURPOSES) {
      for (const kind of ['set', 'clear'] as const) {
        for (const i of changes[kind][purpose]) {
          const n = Math.floor(i / m.listSize);
          const key = listKey(purpose, n);
          let at = offsets.get(key);
          if (!at) {
            at = { set: [], clear: [] };
            offsets.set(key, at);
          }
          at[kind].push(i - n * m.listSize);
        }
      }
    }
    for (const purpose of STATUS_PURPOSES) {
      const now = m.epochs[purpose];
      const before = prev.epochs[purpose];
      for (let n = 0; n < now.length; n++) {
        if (now[n]! <= before[n]!) continue;
        const key = listKey(purpose, n);
        const held = s.lists.get(key);
        const base = held ? (held.epoch === before[n] ? held.bits : undefined) : before[n] === 0 ? CompactBits.empty(m.listSize) : undefined;
        if (!base) continue;
        const at = offsets.get(key);
        s.lists.set(key, { epoch: now[n]!, bits: at ? base.applied(at.set, at.clear) : base });
      }
    }
  }

  /** Fetches every list the manifest names at a newer epoch than held (a few at a time). */
  async #fetchLists(s: IssuerStatus, m: StatusManifest): Promise<void> {
    const todo: { purpose: StatusPurpose; n: number; epoch: number }[] = [];
    for (const purpose of STATUS_PURPOSES) {
      const epochs = m.epochs[purpose];
      for (let n = 0; n < epochs.length; n++) {
        const want = epochs[n]!;
        if (want > (s.lists.get(listKey(purpose, n))?.epoch ?? 0)) todo.push({ purpose, n, epoch: want });
      }
    }
    const worker = async () => {
      for (let job = todo.shift(); job; job = todo.shift()) {
        const url = statusListVersionUrl(statusListUrl(s.url, this.options.platform, job.purpose, job.n), job.epoch);
        try {
          await this.#fetchList(s, m, job.purpose, job.n, job.epoch);
        } catch (e) {
          this.#error(url, e as Error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 8, todo.length) }, worker));
  }

  async #fetchList(s: IssuerStatus, m: StatusManifest, purpose: StatusPurpose, n: number, epoch: number): Promise<void> {
    const canonical = statusListUrl(s.url, this.options.platform, purpose, n);
    const res = await this.fetcher.get(statusListVersionUrl(canonical, epoch));
    if (res.status !== 200 || !res.body) throw new MaskidError('ERR_STATUS_UNAVAILABLE', `HTTP ${res.status}`);
    const jwt = res.body.trim();
    const { header, payload, signingInput, signature } = decodeJwt(jwt, 64 * 1024 * 1024);
    if (header['typ'] !== TYP_VC_JWT) throw new MaskidError('ERR_TYP_INVALID', `status list typ must be ${TYP_VC_JWT}`);
    const validFrom = Date.parse(String(payload['validFrom']));
    this.#verify(s.did, header, signingInput, signature, Number.isFinite(validFrom) ? Math.floor(validFrom / 1000) : undefined);
    const encoded = checkStatusListCredential(payload, { url: canonical, issuer: s.did, purpose, epoch });
    const list = BitstringStatusList.decode(encoded, { minEntries: m.listSize, maxEntries: m.listSize });
    const key = listKey(purpose, n);
    const held = s.lists.get(key);
    if (held && held.epoch >= epoch) return;
    const current = s.manifest?.epochs[purpose][n] ?? epoch;
    s.lists.set(key, { epoch, bits: CompactBits.fromBytes(list.bytes), ...(current > epoch && held?.staleSince !== undefined ? { staleSince: held.staleSince } : {}) });
  }

  #verify(did: string, header: Record<string, unknown>, signingInput: string, signature: Uint8Array, signedAt: unknown): void {
    if (!isAllowedAlg(header['alg'])) throw new MaskidError('ERR_ALG_NOT_ALLOWED', 'alg not allowed');
    if (typeof signedAt !== 'number') throw new MaskidError('ERR_STATUS_LIST_INVALID', 'the document carries no signing time');
    const key = this.keys.get(did, String(header['kid']), signedAt);
    if (key.alg !== header['alg']) throw new MaskidError('ERR_ALG_NOT_ALLOWED', 'alg does not fit the key');
    if (!verifyJoseSignature(key.alg, key.key, signingInput, signature)) throw new MaskidError('ERR_SIGNATURE_INVALID', 'the signature does not verify');
  }

  #error(url: string, e: Error): void {
    this.errors.count++;
    this.options.onError?.(url, e);
  }

  /** Where a `statusListCredential` URL sits in the manifest's layout (cached). */
  #locate(s: IssuerStatus, m: StatusManifest, url: string): { purpose: StatusPurpose; n: number } | undefined {
    let at = this.#urlIndex.get(url);
    if (!at) {
      const prefix = `${m.base}/`;
      if (!url.startsWith(prefix)) return undefined;
      const match = /^(revocation|suspension)-(0|[1-9][0-9]{0,6})$/.exec(url.slice(prefix.length));
      if (!match || Number(match[2]) >= m.count || url !== statusListUrl(s.url, this.options.platform, match[1] as StatusPurpose, Number(match[2]))) return undefined;
      at = { purpose: match[1] as StatusPurpose, n: Number(match[2]) };
      if (this.#urlIndex.size >= 65_536) this.#urlIndex.clear();
      this.#urlIndex.set(url, at);
    }
    return at;
  }

  /**
   * Whether the bit for `entry` is set, from memory. Throws `ERR_STATUS_UNAVAILABLE` when no current
   * manifest is held, when it or the list is past the staleness bound, or when the list changed and
   * has not been fetched; `ERR_STATUS_LIST_INVALID` for an entry outside the manifest's lists.
   */
  lookup(entry: BitstringStatusListEntry, issuer: string): boolean {
    const s = this.#issuers.get(issuer);
    const m = s?.manifest;
    if (!s || !m) throw new MaskidError('ERR_STATUS_UNAVAILABLE', 'no status manifest for this issuer yet');
    const now = this.#now();
    const bound = this.#bound(m);
    if (now - m.iat * 1000 > bound) throw new MaskidError('ERR_STATUS_UNAVAILABLE', 'status is too old: no newer signed manifest has arrived');
    const at = this.#locate(s, m, entry.statusListCredential);
    if (!at || at.purpose !== entry.statusPurpose) throw new MaskidError('ERR_STATUS_LIST_INVALID', "statusListCredential is not a list of this platform's manifest");
    const index = parseStatusListIndex(entry.statusListIndex);
    if (index === undefined || index >= m.listSize) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'statusListIndex is outside the list');
    const want = m.epochs[at.purpose][at.n]!;
    const held = s.lists.get(listKey(at.purpose, at.n));
    if (!held) {
      if (want === 0) return false;
      throw new MaskidError('ERR_STATUS_UNAVAILABLE', 'the status list changed and its new version has not arrived');
    }
    if (held.epoch < want && held.staleSince !== undefined && now - held.staleSince > bound) {
      throw new MaskidError('ERR_STATUS_UNAVAILABLE', 'the status list is too old: its newer version has not arrived');
    }
    return held.bits.has(index);
  }

  /** For metrics and health. */
  stats(): { lists: number; manifestAgeSeconds: number; epoch: number; usable: boolean; staleLists: number; fingerprint: string } {
    const now = this.#now();
    let lists = 0;
    let age = Infinity;
    let epoch = 0;
    let usable = this.#issuers.size > 0;
    let stale = 0;
    const h = createHash('sha256');
    for (const s of this.#issuers.values()) {
      const m = s.manifest;
      if (!m) {
        usable = false;
        continue;
      }
      const bound = this.#bound(m);
      age = Math.min(age, (now - m.iat * 1000) / 1000);
      epoch = Math.max(epoch, m.epoch);
      if (now - m.iat * 1000 > bound) usable = false;
      for (const purpose of STATUS_PURPOSES) {
        for (let n = 0; n < m.count; n++) {
          const want = m.epochs[purpose][n]!;
          const held = s.lists.get(listKey(purpose, n));
          if ((held?.epoch ?? 0) < want) {
            stale++;
            if (!held || (held.staleSince !== undefined && now - held.staleSince > bound)) usable = false;
          }
        }
      }
      lists += s.lists.size;
      h.update(`${s.did}|${m.epoch}`);
    }
    return { lists, manifestAgeSeconds: Number.isFinite(age) ? age : -1, epoch, usable, staleLists: stale, fingerprint: h.digest('hex').slice(0, 16) };
  }
}
