/**
 * The maskid wallet core. Accepts an OpenID4VCI offer (pre-authorized code + PIN, DPoP-bound tokens)
 * and fetches one credential per registered platform, each bound to a fresh key; refreshes the whole
 * registry on a jittered schedule that never depends on which sites are visited; answers DC API
 * requests with exactly the requested claims, mapping the page's origin to a platform through the
 * issuer-signed registry only.
 */
import {
  DC_API_PROTOCOL,
  KEY_LIST_PATH,
  PLATFORM_REGISTRY_PATH,
  TYP_VC_JWT,
  MaskidError,
  assertionKeyFor,
  base64url,
  checkRegistry,
  parseDcApiRequest,
  parseSdJwt,
  presentInternetIdCredential,
  sha256,
  signJwt,
  urlToDidWeb,
  utf8,
  verifyJwt,
  verifyKeyList,
  type ClaimName,
  type Jwk,
  type KeyList,
  type PlatformRegistry,
  type RegistryPlatform,
} from '@maskid/core';
import type { HolderKeyStore } from './keys.js';
import type { StorageAdapter } from './storage.js';

export const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';

export type { RegistryPlatform };

/**
 * An issuer this wallet accepts: its base URL and the RFC 7638 thumbprint of its offline root key
 * (from the wallet's build configuration, never from an offer, which anyone can write).
 */
export interface TrustedIssuer {
  url: string;
  rootThumbprint: string;
}

/** A credential the wallet holds (one per platform). */
export interface HeldCredential {
  platform: string;
  sdJwt: string;
  keyId: string;
  maskedId: string;
  validFrom: string;
  validUntil: string;
  receivedAt: string;
}

/** One entry of the sharing log (kept in the wallet only). */
export interface ShareLogEntry {
  at: string;
  origin: string;
  platform: string;
  claims: ClaimName[];
}

/** The DC API response (`navigator.credentials.get` resolves to `{ protocol, data }`). */
export interface DcApiResponse {
  protocol: typeof DC_API_PROTOCOL;
  data: { vp_token: { internet_id: [string] } };
}

interface WalletState {
  issuer: string;
  tokenEndpoint: string;
  credentialEndpoint: string;
  nonceEndpoint: string;
  refreshToken: string;
  dpopKeyId: string;
  lastRefresh: string;
}

/** Options of a {@link Wallet}. */
export interface WalletOptions {
  storage: StorageAdapter;
  keys: HolderKeyStore;
  /** Issuers this wallet accepts offers from, each with its trust anchor. */
  trustedIssuers: readonly TrustedIssuer[];
  fetch?: typeof fetch;
  now?: () => number;
}

type Json = Record<string, unknown>;

/**
 * The wallet.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage()
 * const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: ['https://id.example.gov'] })
 * await wallet.acceptOffer(offerUri, { pin: '123456' })
 * const response = await wallet.present(request, { origin: 'https://forum.example' })
 * ```
 */
export class Wallet {
  readonly #storage: StorageAdapter;
  readonly #keys: HolderKeyStore;
  readonly #trusted: readonly TrustedIssuer[];
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(options: WalletOptions) {
    this.#storage = options.storage;
    this.#keys = options.keys;
    this.#trusted = options.trustedIssuers.map((t) => {
      if (!t || typeof t.url !== 'string' || typeof t.rootThumbprint !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(t.rootThumbprint)) {
        throw new MaskidError('ERR_CONFIG_INVALID', 'a trusted issuer needs its url and rootThumbprint (`maskid-issuer key anchor` prints both)');
      }
      return { url: t.url.replace(/\/+$/, ''), rootThumbprint: t.rootThumbprint };
    });
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#now = options.now ?? Date.now;
  }

  /** Runs wallet operations one at a time (refresh and accept must not interleave). */
  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(op, op);
    this.#busy = next.catch(() => undefined);
    return next;
  }

  /** Accepts an `openid-credential-offer://` URI (by value) with the PIN, then fetches every platform's credential. */
  acceptOffer(uri: string, options: { pin: string }): Promise<HeldCredential[]> {
    return this.#serial(async () => {
      const offer = parseOffer(uri);
      const issuer = offer.credential_issuer;
      if (!this.#anchor(issuer)) throw new MaskidError('ERR_ISSUER_UNTRUSTED', `this wallet does not accept offers from ${issuer}`);
      const grant = offer.grants?.[PRE_AUTHORIZED_GRANT] as { 'pre-authorized_code'?: string; tx_code?: unknown } | undefined;
      const code = grant?.['pre-authorized_code'];
      if (typeof code !== 'string') throw new MaskidError('ERR_INPUT_INVALID', 'the offer has no pre-authorized code');
      if (grant?.tx_code !== undefined && !/^\d{4,10}$/.test(options.pin ?? '')) throw new MaskidError('ERR_INPUT_INVALID', 'this offer needs the numeric PIN given with it');
      const metadata = await this.#getJson(`${issuer}/.well-known/openid-credential-issuer`);
      if (metadata['credential_issuer'] !== issuer) throw new MaskidError('ERR_ISSUER_UNTRUSTED', 'issuer metadata is for another issuer');
      const as = await this.#getJson(`${issuer}/.well-known/oauth-authorization-server`);
      const tokenEndpoint = String(as['token_endpoint']);
      const dpop = await this.#keys.create();
      const token = await this.#token(tokenEndpoint, dpop.id, dpop.jwk, {
        grant_type: PRE_AUTHORIZED_GRANT,
        'pre-authorized_code': code,
        ...(grant?.tx_code !== undefined ? { tx_code: options.pin } : {}),
      });
      const old = await this.#state();
      if (old) await this.#keys.remove(old.dpopKeyId);
      const state: WalletState = {
        issuer,
        tokenEndpoint,
        credentialEndpoint: String(metadata['credential_endpoint']),
        nonceEndpoint: String(metadata['nonce_endpoint']),
        refreshToken: String(token['refresh_token']),
        dpopKeyId: dpop.id,
        lastRefresh: new Date(this.#now()).toISOString(),
      };
      await this.#storage.set('wallet:state', state);
      await this.#registry(issuer);
      return this.#fetchAll(state, token);
    });
  }

  /**
   * Refreshes everything, always the same way: DID document, registry, token, then one credential per
   * registered platform (new platforms included, expiring ones renewed). The requests never depend on
   * which sites were visited.
   */
  refresh(): Promise<HeldCredential[]> {
    return this.#serial(async () => {
      const state = await this.#state();
      if (!state) throw new MaskidError('ERR_STATE_INVALID', 'the wallet has not accepted an offer yet');
      await this.#registry(state.issuer);
      const dpop = await this.#dpopJwk(state.dpopKeyId);
      const token = await this.#token(state.tokenEndpoint, state.dpopKeyId, dpop, { grant_type: 'refresh_token', refresh_token: state.refreshToken });
      const next = { ...state, refreshToken: String(token['refresh_token']), lastRefresh: new Date(this.#now()).toISOString() };
      await this.#storage.set('wallet:state', next);
      return this.#fetchAll(next, token);
    });
  }

  /** The credentials held, one per platform. */
  async credentials(): Promise<HeldCredential[]> {
    const out: HeldCredential[] = [];
    for (const k of await this.#storage.keys('cred:')) out.push((await this.#storage.get<HeldCredential>(k))!);
    return out;
  }

  /** The verified registry last fetched. */
  async platforms(): Promise<RegistryPlatform[]> {
    return (await this.#storage.get<RegistryPlatform[]>('wallet:registry')) ?? [];
  }

  /** When the wallet last refreshed (ISO), if ever. */
  async lastRefresh(): Promise<string | undefined> {
    return (await this.#state())?.lastRefresh;
  }

  /** The issuer this wallet was onboarded with, if any. */
  async issuer(): Promise<string | undefined> {
    return (await this.#state())?.issuer;
  }

  /** What was shared with whom (newest last). */
  async shareLog(): Promise<ShareLogEntry[]> {
    return (await this.#storage.get<ShareLogEntry[]>('wallet:log')) ?? [];
  }

  /**
   * What a request from `origin` would disclose, for the consent screen: the platform (by the signed
   * registry only) and the exact claims. Throws when the origin is not a registered platform, the
   * claims exceed its registration, or no valid credential is held.
   */
  async preview(request: unknown, options: { origin: string }): Promise<{ platform: RegistryPlatform; claims: ClaimName[]; nonce: string; credential: HeldCredential }> {
    const { nonce, claims } = parseDcApiRequest(request);
    const platform = (await this.platforms()).find((p) => p.origins.includes(options.origin));
    if (!platform) throw new MaskidError('ERR_PLATFORM_MISMATCH', `${options.origin} is not a registered platform`);
    const extra = claims.filter((c) => !platform.claims.includes(c));
    if (extra.length) throw new MaskidError('ERR_CLAIM_NOT_ALLOWED', `${platform.name} is not registered for ${extra.join(', ')}`);
    const credential = await this.#storage.get<HeldCredential>(`cred:${platform.id}`);
    if (!credential) throw new MaskidError('ERR_NOT_FOUND', `no credential for ${platform.name}`);
    if (Date.parse(credential.validUntil) <= this.#now()) throw new MaskidError('ERR_CREDENTIAL_EXPIRED', `the credential for ${platform.name} has expired; refresh the wallet`);
    return { platform, claims, nonce, credential };
  }

  /**
   * Answers a DC API request (OpenID4VP 1.0, `openid4vp-v1-unsigned`) from `origin`: the platform's own
   * credential, exactly the requested claims, a KB-JWT by that credential's key with
   * `aud = origin:<origin>`. Call only after the person consented (see {@link preview}).
   */
  async present(request: unknown, options: { origin: string }): Promise<DcApiResponse> {
    const { platform, claims, nonce, credential } = await this.preview(request, options);
    const vp = await presentInternetIdCredential(credential.sdJwt, {
      claims,
      nonce,
      aud: `origin:${options.origin}`,
      kbSigner: await this.#keys.signer(credential.keyId),
      iat: Math.floor(this.#now() / 1000),
    });
    const log = await this.shareLog();
    log.push({ at: new Date(this.#now()).toISOString(), origin: options.origin, platform: platform.id, claims });
    await this.#storage.set('wallet:log', log.slice(-500));
    return { protocol: DC_API_PROTOCOL, data: { vp_token: { internet_id: [vp] } } };
  }

  // -------------------------------------------------------------------------------------------

  #anchor(issuer: string): TrustedIssuer | undefined {
    return this.#trusted.find((t) => t.url === issuer);
  }

  async #state(): Promise<WalletState | undefined> {
    return this.#storage.get<WalletState>('wallet:state');
  }

  async #dpopJwk(keyId: string): Promise<Jwk> {
    const jwk = (await this.#storage.get<{ jwk: Jwk }>(`key:${keyId}`))?.jwk;
    if (!jwk) throw new MaskidError('ERR_STATE_INVALID', 'the DPoP key is missing');
    return jwk;
  }

  async #dpop(keyId: string, jwk: Jwk, method: string, url: string, accessToken?: string): Promise<string> {
    const payload: Json = { jti: base64url(crypto.getRandomValues(new Uint8Array(16))), htm: method, htu: url, iat: Math.floor(this.#now() / 1000) };
    if (accessToken) payload['ath'] = base64url(await sha256(utf8(accessToken)));
    return signJwt({ typ: 'dpop+jwt', jwk }, payload, await this.#keys.signer(keyId));
  }

  async #token(endpoint: string, keyId: string, jwk: Jwk, params: Record<string, string>): Promise<Json> {
    const res = await this.#fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', DPoP: await this.#dpop(keyId, jwk, 'POST', endpoint) },
      body: new URLSearchParams(params).toString(),
    });
    const body = await readJson(res);
    if (!res.ok)
      throw new MaskidError(
        res.status === 429 ? 'ERR_STATE_INVALID' : 'ERR_INPUT_INVALID',
        `token request refused: ${String(body['error'])}: ${String(body['error_description'] ?? '')}`,
        { details: { oauthError: body['error'] } },
      );
    if (body['token_type'] !== 'DPoP' || typeof body['access_token'] !== 'string' || typeof body['refresh_token'] !== 'string') {
      throw new MaskidError('ERR_INPUT_INVALID', 'the token response is not a DPoP token response');
    }
    return body;
  }

  async #getJson(url: string): Promise<Json> {
    // Revalidate (ETag) instead of trusting a browser's HTTP cache: a new platform or key must show up
    // at the next refresh.
    const res = await this.#fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-cache' });
    if (!res.ok) throw new MaskidError('ERR_INPUT_INVALID', `GET ${url} → ${res.status}`);
    return readJson(res);
  }

  /**
   * Fetches and verifies the issuer's key list under the configured root thumbprint (never a lower
   * version than held), then the signed registry under a key of that list (never a lower version
   * than held). On any failure the held key list and registry stay as they were.
   */
  async #registry(issuer: string): Promise<RegistryPlatform[]> {
    const anchor = this.#anchor(issuer);
    if (!anchor) throw new MaskidError('ERR_ISSUER_UNTRUSTED', `${issuer} is not a trusted issuer of this wallet`);
    const did = urlToDidWeb(issuer);
    const heldList = await this.#storage.get<KeyList>('wallet:keyList');
    const keyList = await verifyKeyList(await this.#getText(`${issuer}${KEY_LIST_PATH}`), {
      rootThumbprint: anchor.rootThumbprint,
      issuer: did,
      held: heldList?.issuer === did && heldList.rootThumbprint === anchor.rootThumbprint ? heldList : undefined,
      now: this.#now,
    });
    const jwt = await this.#getText(`${issuer}${PLATFORM_REGISTRY_PATH}`);
    const verified = await verifyJwt(jwt, {
      expectedTyp: TYP_VC_JWT,
      key: (header, payload) => {
        const validFrom = Date.parse(String(payload['validFrom']));
        return assertionKeyFor(keyList, header['kid'], { now: this.#now(), ...(Number.isFinite(validFrom) ? { signedAt: Math.floor(validFrom / 1000) } : {}) }).jwk;
      },
    });
    const heldRegistry = await this.#storage.get<PlatformRegistry & { issuer?: string }>('wallet:registryState');
    const registry = checkRegistry(verified.payload, { issuer: did, now: this.#now(), held: heldRegistry?.issuer === did ? heldRegistry : undefined });
    await this.#storage.set('wallet:keyList', keyList);
    await this.#storage.set('wallet:registryState', { ...registry, issuer: did });
    await this.#storage.set('wallet:registry', registry.platforms);
    await this.#storage.set('wallet:issuerDid', did);
    return registry.platforms;
  }

  async #getText(url: string): Promise<string> {
    const res = await this.#fetch(url, { cache: 'no-cache' });
    if (!res.ok) throw new MaskidError('ERR_INPUT_INVALID', `GET ${url} → ${res.status}`);
    return (await res.text()).trim();
  }

  /** One credential request per platform, each with a proof by a fresh key. */
  async #fetchAll(state: WalletState, token: Json): Promise<HeldCredential[]> {
    const access = String(token['access_token']);
    const details = (token['authorization_details'] as Json[] | undefined)?.find((d) => d['type'] === 'openid_credential');
    const ids = (details?.['credential_identifiers'] as string[] | undefined) ?? [];
    const dpopJwk = await this.#dpopJwk(state.dpopKeyId);
    const held: HeldCredential[] = [];
    for (const id of ids) {
      const nonceRes = await this.#fetch(state.nonceEndpoint, { method: 'POST' });
      const cNonce = String((await readJson(nonceRes))['c_nonce']);
      const key = await this.#keys.create();
      const proof = await signJwt(
        { typ: 'openid4vci-proof+jwt', jwk: key.jwk },
        { aud: state.issuer, iat: Math.floor(this.#now() / 1000), nonce: cNonce },
        await this.#keys.signer(key.id),
      );
      const res = await this.#fetch(state.credentialEndpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `DPoP ${access}`,
          DPoP: await this.#dpop(state.dpopKeyId, dpopJwk, 'POST', state.credentialEndpoint, access),
        },
        body: JSON.stringify({ credential_identifier: id, proofs: { jwt: [proof] } }),
      });
      const body = await readJson(res);
      const sdJwt = (body['credentials'] as { credential?: unknown }[] | undefined)?.[0]?.credential;
      if (!res.ok || typeof sdJwt !== 'string') {
        await this.#keys.remove(key.id);
        throw new MaskidError('ERR_INPUT_INVALID', `credential request for ${id} refused: ${String(body['error'] ?? res.status)}`);
      }
      const payload = parseSdJwt(sdJwt).jwt.payload;
      const subject = payload['credentialSubject'] as Json;
      const cnf = (payload['cnf'] as { jwk?: Jwk } | undefined)?.jwk;
      if (subject?.['platform'] !== id || cnf?.x !== key.jwk.x || cnf?.y !== key.jwk.y) {
        await this.#keys.remove(key.id);
        throw new MaskidError('ERR_PROFILE_INVALID', `the credential for ${id} is not bound to the key the wallet sent`);
      }
      const credential: HeldCredential = {
        platform: id,
        sdJwt,
        keyId: key.id,
        maskedId: String(subject['maskedId']),
        validFrom: String(payload['validFrom']),
        validUntil: String(payload['validUntil']),
        receivedAt: new Date(this.#now()).toISOString(),
      };
      const previous = await this.#storage.get<HeldCredential>(`cred:${id}`);
      await this.#storage.set(`cred:${id}`, credential);
      if (previous) await this.#keys.remove(previous.keyId);
      held.push(credential);
    }
    // Platforms no longer registered: their credentials and keys go.
    for (const k of await this.#storage.keys('cred:')) {
      if (!ids.includes(k.slice('cred:'.length))) {
        const c = await this.#storage.get<HeldCredential>(k);
        await this.#storage.delete(k);
        if (c) await this.#keys.remove(c.keyId);
      }
    }
    return held;
  }
}

function parseOffer(uri: string): { credential_issuer: string; credential_configuration_ids: string[]; grants?: Record<string, unknown> } {
  if (typeof uri !== 'string' || !uri.startsWith('openid-credential-offer://')) throw new MaskidError('ERR_INPUT_INVALID', 'not an openid-credential-offer:// URI');
  const query = uri.slice(uri.indexOf('?') + 1);
  const params = new URLSearchParams(query);
  if (params.has('credential_offer_uri')) throw new MaskidError('ERR_INPUT_INVALID', 'offers by reference are not supported; paste the offer by value');
  let offer: unknown;
  try {
    offer = JSON.parse(params.get('credential_offer') ?? '');
  } catch {
    throw new MaskidError('ERR_INPUT_INVALID', 'the offer is not JSON');
  }
  const o = offer as { credential_issuer?: unknown; credential_configuration_ids?: unknown; grants?: Record<string, unknown> };
  if (typeof o?.credential_issuer !== 'string' || !Array.isArray(o.credential_configuration_ids))
    throw new MaskidError('ERR_INPUT_INVALID', 'the offer lacks credential_issuer or credential_configuration_ids');
  return o as { credential_issuer: string; credential_configuration_ids: string[]; grants?: Record<string, unknown> };
}

async function readJson(res: Response): Promise<Json> {
  const text = await res.text();
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
  } catch {
    return {};
  }
}

/** Options of the refresh schedule: period, jitter and the random source. */
export interface RefreshTiming {
  everyMs?: number;
  jitterMs?: number;
  random?: () => number;
}

/**
 * The delay before the next scheduled refresh: `everyMs` plus a random jitter in `[0, jitterMs)`
 * after a success, a tenth of the period after a failure. Used by {@link scheduleRefresh} and by
 * the extension's alarm-driven schedule (a service worker cannot keep a timer).
 */
export function nextRefreshDelay(succeeded: boolean, timing: RefreshTiming = {}): number {
  const every = timing.everyMs ?? 12 * 3600_000;
  const jitter = timing.jitterMs ?? 6 * 3600_000;
  const random = timing.random ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32);
  return succeeded ? every + random() * jitter : every / 10;
}

/**
 * Schedules `wallet.refresh()` every `everyMs` plus a random jitter in `[0, jitterMs)`, independent
 * of browsing. Errors retry sooner (a tenth of the period). Returns a function that stops it.
 */
export function scheduleRefresh(
  wallet: Pick<Wallet, 'refresh'>,
  options: RefreshTiming & { setTimer?: (fn: () => void, ms: number) => unknown; clearTimer?: (t: unknown) => void } = {},
): () => void {
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  let timer: unknown;
  let stopped = false;
  const arm = (ms: number) => {
    if (!stopped) timer = setTimer(run, ms);
  };
  const run = () => {
    wallet.refresh().then(
      () => arm(nextRefreshDelay(true, options)),
      () => arm(nextRefreshDelay(false, options)),
    );
  };
  arm(nextRefreshDelay(true, options));
  return () => {
    stopped = true;
    clearTimer(timer);
  };
}
