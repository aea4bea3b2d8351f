/**
 * Issuer keys from the trusted issuers' did:web documents, fetched at start and refreshed on a
 * schedule (never per login), kept as node:crypto `KeyObject`s. Only keys under `assertionMethod`
 * count; pinned thumbprints narrow them further.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { algForJwk, didWebToUrl, jwkThumbprint, MaskidError, type Jwk, type JwsAlgorithm } from '@maskid/core';
import type { TrustedIssuer } from './config.js';
import type { AllowListFetcher } from './fetcher.js';

export interface IssuerKey {
  kid: string;
  issuer: string;
  jwk: Jwk;
  alg: JwsAlgorithm;
  key: KeyObject;
}

export class IssuerKeyCache {
  readonly #keys = new Map<string, IssuerKey>();
  readonly #trusted: Map<string, TrustedIssuer>;
  #lastRefresh = 0;
  #inflight: Promise<void> | undefined;
  readonly errors: { count: number; last?: string } = { count: 0 };

  constructor(trusted: readonly TrustedIssuer[], private readonly fetcher: AllowListFetcher, private readonly options: { dev?: boolean; minRefreshIntervalMs?: number; now?: () => number } = {}) {
    this.#trusted = new Map(trusted.map((t) => [t.did, t]));
  }

  /** True when `did` is a trusted issuer. */
  isTrusted(did: string): boolean {
    return this.#trusted.has(did);
  }

  /** The key for `kid` of a trusted `issuer`; throws ERR_ISSUER_UNTRUSTED / ERR_KEY_UNKNOWN. */
  get(issuer: string, kid: string): IssuerKey {
    if (!this.#trusted.has(issuer)) throw new MaskidError('ERR_ISSUER_UNTRUSTED', 'the issuer is not trusted by this verifier');
    const k = this.#keys.get(kid);
    if (!k || k.issuer !== issuer) {
      this.refreshSoon();
      throw new MaskidError('ERR_KEY_UNKNOWN', 'the key is not an assertion key of the issuer');
    }
    return k;
  }

  /** Loads every trusted issuer's DID document (coalesced). Keeps the old keys of an issuer that fails. */
  refresh(): Promise<void> {
    this.#inflight ??= this.#load().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** A rate-limited background refresh (an unknown kid may mean a rotated key). */
  refreshSoon(): void {
    const now = (this.options.now ?? Date.now)();
    if (now - this.#lastRefresh < (this.options.minRefreshIntervalMs ?? 60_000)) return;
    this.#lastRefresh = now;
    void this.refresh().catch(() => undefined);
  }

  get size(): number {
    return this.#keys.size;
  }

  async #load(): Promise<void> {
    this.#lastRefresh = (this.options.now ?? Date.now)();
    for (const t of this.#trusted.values()) {
      try {
        const protocol = new URL(t.url).protocol as 'https:' | 'http:';
        const res = await this.fetcher.get(`${didWebToUrl(t.did, this.options.dev ? protocol : 'https:')}/.well-known/did.json`);
        if (res.status !== 200 || !res.body) throw new Error(`DID document: HTTP ${res.status}`);
        const doc = JSON.parse(res.body) as { id?: string; verificationMethod?: { id: string; publicKeyJwk?: Jwk; controller?: string }[]; assertionMethod?: (string | { id: string })[] };
        if (doc.id !== t.did) throw new Error('DID document id does not match');
        const assertion = new Set((doc.assertionMethod ?? []).map((m) => (typeof m === 'string' ? m : m.id)));
        const fresh: IssuerKey[] = [];
        for (const vm of doc.verificationMethod ?? []) {
          const kid = vm.id.startsWith('#') ? t.did + vm.id : vm.id;
          if (!vm.publicKeyJwk || (!assertion.has(vm.id) && !assertion.has(kid)) || !kid.startsWith(t.did + '#')) continue;
          if ('d' in vm.publicKeyJwk) continue;
          if (t.pinnedThumbprints && !t.pinnedThumbprints.includes(await jwkThumbprint(vm.publicKeyJwk))) continue;
          let alg: JwsAlgorithm;
          try {
            alg = algForJwk(vm.publicKeyJwk);
          } catch {
            continue;
          }
          fresh.push({ kid, issuer: t.did, jwk: vm.publicKeyJwk, alg, key: createPublicKey({ key: vm.publicKeyJwk as import('node:crypto').JsonWebKey, format: 'jwk' }) });
        }
        for (const [kid, k] of this.#keys) if (k.issuer === t.did) this.#keys.delete(kid);
        for (const k of fresh) this.#keys.set(k.kid, k);
      } catch (e) {
        this.errors.count++;
        this.errors.last = (e as Error).message;
      }
    }
  }
}
