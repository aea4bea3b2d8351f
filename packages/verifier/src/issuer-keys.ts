/**
 * Issuer keys from each trusted issuer's key list, verified under the configured root thumbprint
 * (`@maskid/core` key-list), read at start and on a schedule — never during a login — and kept as
 * node:crypto `KeyObject`s. A lower key-list version (or the same version with other bytes) is
 * refused and the held list kept; a key a newer list omits is dropped at once. A DID document plays
 * no part: an unknown `kid` is simply refused.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { KEY_LIST_PATH, MaskidError, algForJwk, keyMayVerify, verifyKeyList, type Jwk, type JwsAlgorithm, type KeyList, type KeyListEntry } from '@maskid/core';
import type { TrustedIssuer } from './config.js';
import type { AllowListFetcher } from './fetcher.js';

/** A usable issuer key. */
export interface IssuerKey {
  kid: string;
  issuer: string;
  jwk: Jwk;
  alg: JwsAlgorithm;
  key: KeyObject;
  entry: KeyListEntry;
}

/**
 * The issuer key cache.
 *
 * @example
 * ```ts
 * const keys = new IssuerKeyCache(config.trustedIssuers, fetcher)
 * await keys.refresh()
 * keys.get('did:web:id.example.gov', kid) // throws ERR_KEY_UNKNOWN for a kid outside the key list
 * ```
 */
export class IssuerKeyCache {
  readonly #lists = new Map<string, KeyList>();
  readonly #keys = new Map<string, IssuerKey>();
  readonly #trusted: Map<string, TrustedIssuer>;
  readonly #now: () => number;
  #inflight: Promise<void> | undefined;
  /** Failed or refused key-list fetches (`last` is the newest error's message). */
  readonly errors: { count: number; last?: string } = { count: 0 };

  constructor(
    trusted: readonly TrustedIssuer[],
    private readonly fetcher: AllowListFetcher,
    options: { now?: () => number } = {},
  ) {
    this.#trusted = new Map(trusted.map((t) => [t.did, t]));
    this.#now = options.now ?? Date.now;
  }

  /** True when `did` is a trusted issuer. */
  isTrusted(did: string): boolean {
    return this.#trusted.has(did);
  }

  /**
   * The key for `kid` of a trusted `issuer` under the held key list's rule (`keyMayVerify`, the one rule of `@maskid/core`):
   * `signedAt` (seconds) for documents that carry their signing time. Throws `ERR_ISSUER_UNTRUSTED`
   * or `ERR_KEY_UNKNOWN`; never fetches.
   */
  get(issuer: string, kid: string, signedAt?: number): IssuerKey {
    if (!this.#trusted.has(issuer)) throw new MaskidError('ERR_ISSUER_UNTRUSTED', 'the issuer is not trusted by this verifier');
    const k = this.#keys.get(kid);
    if (!k || k.issuer !== issuer) throw new MaskidError('ERR_KEY_UNKNOWN', "the key is not in the issuer's current key list");
    if (!keyMayVerify(k.entry, { now: this.#now(), ...(signedAt !== undefined ? { signedAt } : {}) })) {
      throw new MaskidError('ERR_KEY_UNKNOWN', 'the key is not valid for this signature (outside its signing or verification window)');
    }
    return k;
  }

  /** Reads every trusted issuer's key list (coalesced). Keeps the held list of an issuer that fails. */
  refresh(): Promise<void> {
    this.#inflight ??= this.#load().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** Assertion keys held. */
  get size(): number {
    return this.#keys.size;
  }

  /** The held key-list version of an issuer (metrics, health). */
  version(issuer: string): number | undefined {
    return this.#lists.get(issuer)?.version;
  }

  async #load(): Promise<void> {
    for (const t of this.#trusted.values()) {
      try {
        const res = await this.fetcher.get(`${t.url}${KEY_LIST_PATH}`);
        if (res.status !== 200 || !res.body) throw new MaskidError('ERR_KEY_LIST_INVALID', `key list: HTTP ${res.status}`);
        const held = this.#lists.get(t.did);
        const list = await verifyKeyList(res.body.trim(), { rootThumbprint: t.rootThumbprint, issuer: t.did, held, now: this.#now });
        if (held && list.jwt === held.jwt) continue;
        const fresh: IssuerKey[] = list.keys.map((entry) => ({
          kid: entry.kid,
          issuer: t.did,
          jwk: entry.jwk,
          alg: algForJwk(entry.jwk),
          entry,
          key: createPublicKey({ key: entry.jwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
        }));
        for (const [kid, k] of this.#keys) if (k.issuer === t.did) this.#keys.delete(kid);
        for (const k of fresh) this.#keys.set(k.kid, k);
        this.#lists.set(t.did, list);
      } catch (e) {
        this.errors.count++;
        this.errors.last = (e as Error).message;
      }
    }
  }
}
