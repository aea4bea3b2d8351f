/**
 * StatusListCache: prefetches every list in the platform's signed manifest, verifies each, keeps the
 * decoded bits in memory, refreshes before `ttl` with conditional GETs (one refresh per list at a
 * time), and answers logins from memory. When the issuer is unreachable the last good list is used
 * until `maxStalenessMs` after it was last confirmed, never past its `validUntil`; then lookups fail
 * closed with ERR_STATUS_UNAVAILABLE. A corrupt or wrongly signed list never replaces a good one.
 */
import { createHash } from 'node:crypto';
import { verifyJoseSignature } from './signature.js';
import { BitstringStatusList, MaskidError, isAllowedAlg, parseStatusListIndex, decodeJwt, type BitstringStatusListEntry } from '@maskid/core';
import type { AllowListFetcher } from './fetcher.js';
import type { IssuerKeyCache } from './issuer-keys.js';

export const TYP_MANIFEST = 'maskid-status-manifest+jwt';
/** A manifest lists every list URL of a platform: about 80 bytes each, so 1 MiB covers > 10,000 lists. */
export const MAX_MANIFEST_LENGTH = 1024 * 1024;

interface CachedList {
  url: string;
  purpose: 'revocation' | 'suspension';
  issuer: string;
  bytes: Uint8Array;
  length: number;
  etag?: string;
  /** When the issuer last confirmed this content (200 or 304). */
  confirmedAt: number;
  validUntil: number;
  ttlMs: number;
}

export interface StatusCacheOptions {
  platform: string;
  /** Manifest URL per trusted issuer. */
  manifestUrls: string[];
  maxStalenessMs: number;
  now?: () => number;
  /** Refresh at this fraction of ttl (default 0.8). */
  refreshAt?: number;
  minRefreshMs?: number;
  onError?: (url: string, error: Error) => void;
}

export class StatusListCache {
  readonly #lists = new Map<string, CachedList>();
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #now: () => number;
  #manifestEtags = new Map<string, string>();
  #stopped = false;
  readonly errors = { count: 0 };

  constructor(private readonly keys: IssuerKeyCache, private readonly fetcher: AllowListFetcher, private readonly options: StatusCacheOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** Loads every manifest and every list in it; resolves when done (errors are counted, not thrown). */
  async start(): Promise<void> {
    await Promise.all(this.options.manifestUrls.map((u) => this.refreshManifest(u)));
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  /** Fetches a manifest and every list it names (lists already cached are refreshed conditionally). */
  async refreshManifest(url: string): Promise<void> {
    try {
      const res = await this.fetcher.get(url, this.#manifestEtags.get(url));
      if (res.status === 304) {
        this.#schedule(url, (res.maxAgeSeconds ?? 3600) * 1000, () => this.refreshManifest(url));
        return;
      }
      if (res.status !== 200 || !res.body) throw new MaskidError('ERR_STATUS_UNAVAILABLE', `manifest: HTTP ${res.status}`);
      const { header, payload } = decodeJwt(res.body.trim(), MAX_MANIFEST_LENGTH);
      this.#verifySignature(res.body.trim(), header, String(payload['iss']), TYP_MANIFEST);
      if (payload['sub'] !== this.options.platform) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'the manifest is for another platform');
      if (typeof payload['exp'] !== 'number' || payload['exp'] * 1000 <= this.#now()) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'the manifest has expired');
      const lists = payload['lists'];
      if (!Array.isArray(lists)) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'the manifest has no lists');
      if (res.etag) this.#manifestEtags.set(url, res.etag);
      await Promise.all((lists as { url?: unknown; purpose?: unknown }[]).map((l) => {
        if (typeof l.url !== 'string' || (l.purpose !== 'revocation' && l.purpose !== 'suspension')) return Promise.resolve();
        return this.refreshList(l.url, l.purpose, String(payload['iss']));
      }));
      this.#schedule(url, Number(payload['ttl'] ?? 3600_000), () => this.refreshManifest(url));
    } catch (e) {
      this.#error(url, e as Error);
      this.#schedule(url, 30_000, () => this.refreshManifest(url));
    }
  }

  /** Refreshes one list (coalesced: concurrent callers share one request). */
  refreshList(url: string, purpose: 'revocation' | 'suspension', issuer: string): Promise<void> {
    let p = this.#inflight.get(url);
    if (!p) {
      p = this.#fetchList(url, purpose, issuer).finally(() => this.#inflight.delete(url));
      this.#inflight.set(url, p);
    }
    return p;
  }

  async #fetchList(url: string, purpose: 'revocation' | 'suspension', issuer: string): Promise<void> {
    const cached = this.#lists.get(url);
    try {
      const res = await this.fetcher.get(url, cached?.etag);
      if (res.status === 304 && cached) {
        cached.confirmedAt = this.#now();
        this.#schedule(url, cached.ttlMs, () => this.refreshList(url, purpose, issuer));
        return;
      }
      if (res.status !== 200 || !res.body) throw new MaskidError('ERR_STATUS_UNAVAILABLE', `HTTP ${res.status}`);
      const list = this.#parseList(url, purpose, issuer, res.body.trim());
      if (res.etag) list.etag = res.etag;
      this.#lists.set(url, list);
      this.#schedule(url, list.ttlMs, () => this.refreshList(url, purpose, issuer));
    } catch (e) {
      this.#error(url, e as Error);
      // Keep the old list; try again sooner.
      this.#schedule(url, Math.min(cached?.ttlMs ?? 30_000, 30_000), () => this.refreshList(url, purpose, issuer));
    }
  }

  #parseList(url: string, purpose: string, issuer: string, jwt: string): CachedList {
    const { header, payload } = decodeJwt(jwt, 64 * 1024 * 1024);
    this.#verifySignature(jwt, header, issuer, 'vc+jwt');
    const now = this.#now();
    if (payload['issuer'] !== issuer) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'the list has another issuer');
    if (payload['id'] !== url) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'the list id is not its URL');
    const type = payload['type'];
    if (!Array.isArray(type) || !type.includes('BitstringStatusListCredential')) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'not a BitstringStatusListCredential');
    const subject = payload['credentialSubject'] as Record<string, unknown> | undefined;
    if (!subject || subject['type'] !== 'BitstringStatusList') throw new MaskidError('ERR_STATUS_LIST_INVALID', 'credentialSubject is not a BitstringStatusList');
    if (subject['statusPurpose'] !== purpose) throw new MaskidError('ERR_STATUS_LIST_INVALID', `the list's statusPurpose is not ${purpose}`);
    const validUntil = Date.parse(String(payload['validUntil']));
    if (!Number.isFinite(validUntil) || validUntil <= now) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'the list has expired');
    const validFrom = Date.parse(String(payload['validFrom']));
    if (Number.isFinite(validFrom) && validFrom > now + 60_000) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'the list is not yet valid');
    const list = BitstringStatusList.decode(String(subject['encodedList']));
    const ttl = Number(subject['ttl']);
    const ttlMs = Number.isFinite(ttl) && ttl > 0 ? ttl : 300_000;
    return { url, purpose: purpose as CachedList['purpose'], issuer, bytes: list.bytes, length: list.length, confirmedAt: now, validUntil, ttlMs };
  }

  #verifySignature(jwt: string, header: Record<string, unknown>, issuer: string, typ: string): void {
    if (header['typ'] !== typ) throw new MaskidError('ERR_TYP_INVALID', `expected typ ${typ}`);
    if (!isAllowedAlg(header['alg'])) throw new MaskidError('ERR_ALG_NOT_ALLOWED', 'alg not allowed');
    const key = this.keys.get(issuer, String(header['kid']));
    if (key.alg !== header['alg']) throw new MaskidError('ERR_ALG_NOT_ALLOWED', 'alg does not fit the key');
    const dot = jwt.lastIndexOf('.');
    if (!verifyJoseSignature(key.alg, key.key, jwt.slice(0, dot), Buffer.from(jwt.slice(dot + 1), 'base64url'))) throw new MaskidError('ERR_SIGNATURE_INVALID', 'the signature does not verify');
  }

  #schedule(key: string, ttlMs: number, run: () => Promise<void>): void {
    if (this.#stopped) return;
    const old = this.#timers.get(key);
    if (old) clearTimeout(old);
    const delay = Math.max(this.options.minRefreshMs ?? 1000, Math.floor(ttlMs * (this.options.refreshAt ?? 0.8)));
    const t = setTimeout(() => void run(), Math.min(delay, 2 ** 31 - 1));
    t.unref();
    this.#timers.set(key, t);
  }

  #error(url: string, e: Error): void {
    this.errors.count++;
    this.options.onError?.(url, e);
  }

  /**
   * Whether the bit for `entry` is set, from memory. Throws ERR_STATUS_UNAVAILABLE when the list is
   * unknown, too stale or past its validUntil, and ERR_STATUS_LIST_INVALID for a bad index.
   */
  lookup(entry: BitstringStatusListEntry, issuer: string): boolean {
    const list = this.#lists.get(entry.statusListCredential);
    if (!list || list.issuer !== issuer || list.purpose !== entry.statusPurpose) throw new MaskidError('ERR_STATUS_UNAVAILABLE', 'no current status list for this credential');
    const now = this.#now();
    if (now >= list.validUntil || now - list.confirmedAt > Math.max(this.options.maxStalenessMs, list.ttlMs)) {
      throw new MaskidError('ERR_STATUS_UNAVAILABLE', 'the status list is too old and the issuer cannot be reached');
    }
    const index = parseStatusListIndex(entry.statusListIndex);
    if (index === undefined || index >= list.length) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'statusListIndex is outside the list');
    return (list.bytes[index >>> 3]! & (0x80 >>> (index & 7))) !== 0;
  }

  /** For metrics and health: lists held and the age of the oldest confirmation (seconds). */
  stats(): { lists: number; oldestAgeSeconds: number; usable: number; fingerprint: string } {
    const now = this.#now();
    let oldest = 0;
    let usable = 0;
    const h = createHash('sha256');
    for (const l of this.#lists.values()) {
      oldest = Math.max(oldest, (now - l.confirmedAt) / 1000);
      if (now < l.validUntil && now - l.confirmedAt <= Math.max(this.options.maxStalenessMs, l.ttlMs)) usable++;
      h.update(l.url);
    }
    return { lists: this.#lists.size, oldestAgeSeconds: oldest, usable, fingerprint: h.digest('hex').slice(0, 16) };
  }
}
