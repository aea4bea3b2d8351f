/**
 * The maskid wallet (facade). Accepts an OpenID4VCI offer (pre-authorized code + PIN, DPoP-bound
 * tokens) and fetches one credential per registered platform, each bound to a fresh key
 * (`Openid4vciClient`); trusts the issuer's keys and registry only under the root thumbprint it was
 * configured with (`issuer-trust`); wakes on a schedule that never depends on which sites are
 * visited (`refresh-schedule`) and then renews only what the renewal policy says is due (`renewal`),
 * once per validity period per credential; answers DC API requests with exactly the requested claims, mapping the
 * page's origin to a platform through the signed registry only.
 */
import {
  DC_API_PROTOCOL,
  MaskidError,
  PRE_AUTHORIZED_GRANT,
  assertionKeyFor,
  audienceForOrigin,
  disclosedClaimsOf,
  parseSdJwt,
  parseDcApiRequest,
  presentInternetIdCredential,
  typeValuesMatch,
  FORMAT_DC_SD_JWT,
  FORMAT_ID,
  credentialIdentifier,
  credentialViewOf,
  identifierOf,
  platformFormats,
  issuerAndKidOf,
  credentialFormOf,
  vctFor,
  type ClaimName,
  type CredentialFormat,
  type GrantState,
  type Jwk,
  type KeyList,
  type PlatformRegistry,
  type RegistryPlatform,
} from '@maskid/core';
import type { HolderKeyStore } from './keys.js';
import type { StorageAdapter } from './storage.js';
import { checkTrustedIssuers, fetchTrustedRegistry, type TrustedIssuer } from './issuer-trust.js';
import {
  Openid4vciClient,
  walletAuthorizationDetails,
  checkOffer,
  parseOffer,
  preAuthorizedGrant,
  type CredentialOffer,
  type CredentialOfferReference,
  type CredentialSession,
  grantStateError,
  grantStateOf,
} from './oid4vci-client.js';
import { readJson, type Json } from './http.js';
import { checkRenewalPolicy, dueForRenewal, renewalTimeFor, DEFAULT_RENEWAL, type RenewalPolicy } from './renewal.js';

export { PRE_AUTHORIZED_GRANT };
export type { RegistryPlatform, TrustedIssuer };

/** A credential the wallet holds (one per platform and form). */
export interface HeldCredential {
  platform: string;
  /** The form (absent on credentials stored before both forms: the VCDM form). */
  format?: CredentialFormat;
  sdJwt: string;
  keyId: string;
  maskedId: string;
  validUntil: string;
  /** When the renewal policy renews it (drawn at receipt, for this credential alone). */
  renewAt?: string;
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
  batchEndpoint?: string;
  refreshToken: string;
  dpopKeyId: string;
  lastRefresh: string;
  /** The last token request to the issuer (onboarding or a wake-up that fetched): routine renewals are gathered from it. */
  lastContact?: string;
}

/** Options of a {@link Wallet}. */
export interface WalletOptions {
  storage: StorageAdapter;
  keys: HolderKeyStore;
  /** Issuers this wallet accepts offers from, each with its trust anchor. */
  trustedIssuers: readonly TrustedIssuer[];
  fetch?: typeof fetch;
  now?: () => number;
  /** The random source of renewal moments, uniform in [0, 1) (default WebCrypto; simulations inject one). */
  random?: () => number;
  /** The renewal policy (default {@link DEFAULT_RENEWAL}; members left out take its values). */
  renewal?: Partial<RenewalPolicy>;
  /**
   * The forms held for every platform (default the VCDM form only). With the SD-JWT VCLD form too, the
   * wallet also answers requests for `dc+sd-jwt` (OpenID4VP 1.0 / HAIP verifiers); it fetches both forms
   * of every platform on the same schedule, which doubles what it asks the issuer to sign.
   */
  forms?: readonly CredentialFormat[];
}

/**
 * The wallet.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage()
 * const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [{ url: 'https://id.example.gov', rootThumbprint }] })
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
  readonly #client: Openid4vciClient;
  readonly #random: () => number;
  readonly #renewal: RenewalPolicy;
  readonly #forms: readonly CredentialFormat[];
  readonly #authorizationDetails: string;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(options: WalletOptions) {
    this.#storage = options.storage;
    this.#keys = options.keys;
    this.#trusted = checkTrustedIssuers(options.trustedIssuers);
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#now = options.now ?? Date.now;
    this.#client = new Openid4vciClient({ fetch: this.#fetch, keys: this.#keys, now: this.#now });
    this.#random = options.random ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32);
    this.#renewal = checkRenewalPolicy(options.renewal ?? DEFAULT_RENEWAL);
    const forms = options.forms ?? [FORMAT_ID];
    if (forms.length === 0 || forms.some((f) => f !== FORMAT_ID && f !== FORMAT_DC_SD_JWT) || new Set(forms).size !== forms.length)
      throw new MaskidError('ERR_INPUT_INVALID', `forms must list ${FORMAT_ID} and/or ${FORMAT_DC_SD_JWT}, each once`);
    // In a fixed order, whatever the caller's: the identifiers of a wake-up never depend on how the wallet was built.
    this.#forms = ([FORMAT_ID, FORMAT_DC_SD_JWT] as const).filter((f) => forms.includes(f));
    this.#authorizationDetails = walletAuthorizationDetails(this.#forms);
  }

  /**
   * Every identifier this wallet holds a credential under, in registry order (each platform's forms
   * together): each platform in the forms its registry entry asks for that this wallet supports.
   */
  #identifiers(platforms: readonly RegistryPlatform[]): string[] {
    return platforms.flatMap((p) => this.#forms.filter((f) => platformFormats(p).includes(f)).map((f) => credentialIdentifier(p.id, f)));
  }

  /** Runs wallet operations one at a time (refresh and accept must not interleave). */
  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(op, op);
    this.#busy = next.catch(() => undefined);
    return next;
  }

  /**
   * Accepts an `openid-credential-offer://` URI (by value, or by reference under a trusted issuer's URL)
   * with the PIN, then fetches every platform's credential (a new offer follows onboarding or a
   * `reissue`, so whatever was held before is replaced).
   */
  acceptOffer(uri: string, options: { pin: string }): Promise<HeldCredential[]> {
    return this.#serial(async () => {
      const offer = await this.#resolveOffer(parseOffer(uri));
      const issuer = offer.credential_issuer;
      if (!this.#anchor(issuer)) throw new MaskidError('ERR_ISSUER_UNTRUSTED', `this wallet does not accept offers from ${issuer}`);
      const { code, needsPin } = preAuthorizedGrant(offer);
      if (needsPin && !/^\d{4,10}$/.test(options.pin ?? ''))
        throw new MaskidError('ERR_INPUT_INVALID', 'this offer needs the numeric PIN given with it', { details: { reason: 'pin-format' } });
      const endpoints = await this.#client.discover(issuer);
      const dpop = await this.#keys.create();
      const token = await this.#client.token(endpoints.tokenEndpoint, dpop.id, dpop.jwk, {
        grant_type: PRE_AUTHORIZED_GRANT,
        'pre-authorized_code': code,
        ...(needsPin ? { tx_code: options.pin } : {}),
        authorization_details: this.#authorizationDetails,
      });
      const old = await this.#state();
      if (old) await this.#keys.remove(old.dpopKeyId);
      await this.#noteGrant(token);
      const state: WalletState = {
        ...endpoints,
        refreshToken: String(token['refresh_token']),
        dpopKeyId: dpop.id,
        lastRefresh: new Date(this.#now()).toISOString(),
        lastContact: new Date(this.#now()).toISOString(),
      };
      await this.#storage.set('wallet:state', state);
      const registry = await this.#registry(issuer);
      return this.#fetch_(state, token, this.#identifiers(registry), registry);
    });
  }

  /**
   * A wake-up (scheduled or "Refresh now"), always the same way: key list and registry, then — only if
   * the renewal policy finds something due — one token refresh and the due credentials, in registry
   * order: platforms without a credential, expired credentials, credentials whose renewal moment came.
   * Nothing depends on which sites were visited. Returns the credentials received.
   */
  refresh(): Promise<HeldCredential[]> {
    return this.#serial(async () => {
      const state = await this.#state();
      if (!state) throw new MaskidError('ERR_STATE_INVALID', 'the wallet has not accepted an offer yet', { details: { reason: 'not-onboarded' } });
      const registry = await this.#registry(state.issuer);
      const due = await this.due();
      const lastRefresh = new Date(this.#now()).toISOString();
      if (due.length === 0) {
        await this.#storage.set('wallet:state', { ...state, lastRefresh });
        await this.#dropUnregistered(registry);
        return [];
      }
      const dpop = await this.#dpopJwk(state.dpopKeyId);
      let token: Json;
      try {
        token = await this.#client.token(state.tokenEndpoint, state.dpopKeyId, dpop, {
          grant_type: 'refresh_token',
          refresh_token: state.refreshToken,
          authorization_details: this.#authorizationDetails,
        });
      } catch (e) {
        const reason = (e as MaskidError).details?.['reason'];
        if (reason === 'revoked' || reason === 'replaced' || reason === 'spent') {
          const since = (e as MaskidError).details?.['since'];
          await this.#storage.set('wallet:grantState', { state: reason, ...(typeof since === 'string' ? { since } : {}) } satisfies GrantState);
        }
        throw e;
      }
      await this.#noteGrant(token);
      const next = { ...state, refreshToken: String(token['refresh_token']), lastRefresh, lastContact: lastRefresh };
      await this.#storage.set('wallet:state', next);
      return this.#fetch_(next, token, due, registry);
    });
  }

  /**
   * The credentials the next wake-up would fetch, by credential identifier (the platform id, and
   * `<platform>.vcld` for the VCLD form), in registry order (see `renewal`): including every credential
   * whose signing key the last verified key list no longer accepts (a distrusted key).
   */
  async due(): Promise<string[]> {
    const now = this.#now();
    const held = new Map((await this.credentials()).map((c) => [credentialIdentifier(c.platform, c.format), c]));
    const untrusted = await this.#untrusted();
    const lastContact = (await this.#state())?.lastContact;
    return dueForRenewal(this.#identifiers(await this.platforms()), held, now, this.#renewal, untrusted, lastContact ? Date.parse(lastContact) : undefined);
  }

  /** The credentials held, one per platform and form. */
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

  /**
   * What the issuer last said about this wallet's grant (`maskid_grant_state`): `revoked`, `replaced` (a
   * newer offer was used elsewhere), `spent` (the grant can no longer renew: a new offer is needed) or
   * `suspended`; undefined while all is well.
   */
  async grantState(): Promise<GrantState | undefined> {
    return this.#storage.get<GrantState>('wallet:grantState');
  }

  async #noteGrant(token: Json): Promise<void> {
    const state = grantStateOf(token);
    if (state?.state === 'suspended') await this.#storage.set('wallet:grantState', state);
    else await this.#storage.delete('wallet:grantState');
  }

  /** The identifiers of the credentials signed by a key the last verified key list does not accept now. */
  async #untrusted(): Promise<Set<string>> {
    const now = this.#now();
    const keyList = await this.#storage.get<KeyList>('wallet:keyList');
    const untrusted = new Set<string>();
    for (const c of await this.credentials()) {
      try {
        if (!keyList) throw new Error('no key list');
        const { header, payload } = parseSdJwt(c.sdJwt).jwt;
        // Issuer and key as a verifier reads them, in either form (the VCLD form: an https iss and a key fragment).
        const { issuer, kid } = issuerAndKidOf(credentialFormOf(header), header, payload);
        if (issuer !== keyList.issuer) throw new Error('another issuer');
        assertionKeyFor(keyList, kid, { now });
      } catch {
        untrusted.add(credentialIdentifier(c.platform, c.format));
      }
    }
    return untrusted;
  }

  /** Removes everything this wallet holds: keys, credentials, grant, registry and the sharing log. */
  reset(): Promise<void> {
    return this.#serial(async () => {
      for (const key of await this.#storage.keys()) await this.#storage.delete(key);
    });
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
    const { nonce, claims, typeValues, vctValues, format } = parseDcApiRequest(request);
    const issuerDid = await this.#storage.get<string>('wallet:issuerDid');
    const issuerUrl = (await this.#state())?.issuer;
    const held = this.#forms.includes(format);
    const typeMatches =
      format === FORMAT_DC_SD_JWT ? issuerUrl !== undefined && vctValues.includes(vctFor(issuerUrl)) : issuerDid !== undefined && typeValuesMatch(typeValues, issuerDid);
    if (!held || !typeMatches)
      throw new MaskidError('ERR_DCQL_INVALID', 'the request asks for a credential type this wallet does not hold', { details: { reason: held ? 'type' : 'form' } });
    const platform = (await this.platforms()).find((p) => p.origins.includes(options.origin));
    if (!platform) throw new MaskidError('ERR_PLATFORM_MISMATCH', `${options.origin} is not a registered platform`);
    if (!platformFormats(platform).includes(format))
      throw new MaskidError('ERR_DCQL_INVALID', `${platform.name} is not registered for the ${format} form`, { details: { reason: 'form' } });
    const extra = claims.filter((c) => !platform.claims.includes(c));
    if (extra.length) throw new MaskidError('ERR_CLAIM_NOT_ALLOWED', `${platform.name} is not registered for ${extra.join(', ')}`);
    const identifier = credentialIdentifier(platform.id, format);
    const credential = await this.#storage.get<HeldCredential>(`cred:${identifier}`);
    if (!credential) throw new MaskidError('ERR_NOT_FOUND', `no credential for ${platform.name}`);
    // What the issuer told this wallet, and what its verified key list says, before any verifier would.
    const grant = await this.grantState();
    if (grant && grant.state !== 'spent') throw grantStateError(grant);
    if ((await this.#untrusted()).has(identifier))
      throw new MaskidError('ERR_KEY_UNKNOWN', `the credential for ${platform.name} is signed by a key the issuer no longer lists; refresh the wallet`, {
        details: { reason: 'key-distrusted' },
      });
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
      aud: audienceForOrigin(options.origin),
      kbSigner: await this.#keys.signer(credential.keyId),
      iat: Math.floor(this.#now() / 1000),
    });
    const log = await this.shareLog();
    log.push({ at: new Date(this.#now()).toISOString(), origin: options.origin, platform: platform.id, claims });
    await this.#storage.set('wallet:log', log.slice(-500));
    return { protocol: DC_API_PROTOCOL, data: { vp_token: { internet_id: [vp] } } };
  }

  // -------------------------------------------------------------------------------------------

  /**
   * The offer object: as given, or fetched from its `credential_offer_uri`, which must lie under a trusted
   * issuer's URL (the wallet fetches nothing else) and name that issuer.
   */
  async #resolveOffer(parsed: CredentialOffer | CredentialOfferReference): Promise<CredentialOffer> {
    if (!('credential_offer_uri' in parsed)) return parsed;
    const where = parsed.credential_offer_uri;
    const anchor = this.#trusted.find((t) => where.startsWith(`${t.url}/`));
    if (!anchor) throw new MaskidError('ERR_ISSUER_UNTRUSTED', `this wallet does not accept offers from ${where.slice(0, 100)}`);
    const res = await this.#fetch(where, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    if (res.status === 404) throw new MaskidError('ERR_STATE_INVALID', 'this offer was already used or has expired; ask for a new one', { details: { reason: 'spent' } });
    if (!res.ok) throw new MaskidError('ERR_INPUT_INVALID', `the offer could not be fetched (HTTP ${res.status})`);
    const offer = checkOffer(await readJson(res));
    if (offer.credential_issuer !== anchor.url) throw new MaskidError('ERR_ISSUER_UNTRUSTED', 'the offer names another issuer than the one that served it');
    return offer;
  }

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

  /** The issuer's key list and registry, verified under its anchor (see `issuer-trust`); stored only when both verify. */
  async #registry(issuer: string): Promise<RegistryPlatform[]> {
    const anchor = this.#anchor(issuer);
    if (!anchor) throw new MaskidError('ERR_ISSUER_UNTRUSTED', `${issuer} is not a trusted issuer of this wallet`);
    const held = {
      keyList: await this.#storage.get<KeyList>('wallet:keyList'),
      registry: await this.#storage.get<PlatformRegistry & { issuer?: string }>('wallet:registryState'),
    };
    const { keyList, registry } = await fetchTrustedRegistry(this.#fetch, anchor, held, this.#now);
    await this.#storage.set('wallet:keyList', keyList);
    await this.#storage.set('wallet:registryState', { ...registry, issuer: keyList.issuer });
    await this.#storage.set('wallet:registry', registry.platforms);
    await this.#storage.set('wallet:issuerDid', keyList.issuer);
    return registry.platforms;
  }

  /**
   * Fetches `ids` (credential identifiers, those the token names), each bound to a fresh key, storing
   * each as it arrives with its own renewal moment; then drops credentials of platforms no longer in
   * `registry`.
   */
  async #fetch_(state: WalletState, token: Json, ids: readonly string[], registry: readonly RegistryPlatform[]): Promise<HeldCredential[]> {
    const details = ((token['authorization_details'] as Json[] | undefined) ?? []).filter((d) => d['type'] === 'openid_credential');
    const offered = new Set(details.flatMap((d) => (d['credential_identifiers'] as string[] | undefined) ?? []));
    const session: CredentialSession = { ...state, accessToken: String(token['access_token']), dpopJwk: await this.#dpopJwk(state.dpopKeyId) };
    const held: HeldCredential[] = [];
    await this.#client.requestCredentials(
      session,
      ids.filter((id) => offered.has(id)),
      async (id, received) => {
        const { subject, validUntil } = credentialViewOf(received.payload);
        const { platform, format } = identifierOf(id)!;
        const claims = credentialViewOf(await disclosedClaimsOf(received.sdJwt)).subject;
        const renewAt = renewalTimeFor({ validUntil: Date.parse(validUntil), claims }, this.#random, this.#renewal);
        const credential: HeldCredential = {
          platform,
          ...(format === FORMAT_ID ? {} : { format }),
          sdJwt: received.sdJwt,
          keyId: received.keyId,
          maskedId: String(subject['maskedId']),
          validUntil,
          renewAt: new Date(renewAt).toISOString(),
          receivedAt: new Date(this.#now()).toISOString(),
        };
        const previous = await this.#storage.get<HeldCredential>(`cred:${id}`);
        await this.#storage.set(`cred:${id}`, credential);
        if (previous) await this.#keys.remove(previous.keyId);
        held.push(credential);
      },
    );
    await this.#dropUnregistered(registry);
    return held;
  }

  /** Platforms no longer registered, and forms this wallet or the platform no longer holds: their credentials and keys go. */
  async #dropUnregistered(registry: readonly RegistryPlatform[]): Promise<void> {
    const kept = new Set(this.#identifiers(registry));
    for (const k of await this.#storage.keys('cred:')) {
      if (!kept.has(k.slice('cred:'.length))) {
        const c = await this.#storage.get<HeldCredential>(k);
        await this.#storage.delete(k);
        if (c) await this.#keys.remove(c.keyId);
      }
    }
  }
}

export { nextRefreshDelay, scheduleRefresh, type RefreshTiming } from './refresh-schedule.js';
