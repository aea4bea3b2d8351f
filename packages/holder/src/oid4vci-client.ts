/**
 * The wallet's OpenID4VCI 1.0 client (pre-authorized code + PIN, DPoP-bound tokens, one credential per
 * credential identifier, each bound to a fresh key). A wake-up's credentials share one `c_nonce` (the
 * issuer's nonces are valid for every proof within their lifetime) and, when the issuer advertises
 * `maskid_batch_credential_endpoint`, travel in one DPoP request; otherwise one standard request each.
 */
import {
  FORMAT_ID,
  FORMAT_DC_SD_JWT,
  TYP_DC_SD_JWT,
  walletConfigurationId,
  credentialViewOf,
  identifierOf,
  type CredentialFormat,
  CREDENTIAL_OFFER_SCHEME,
  GRANT_STATES,
  GRANT_STATE_MEMBER,
  MaskidError,
  PRE_AUTHORIZED_GRANT,
  TX_CODE_ATTEMPTS_LEFT_MEMBER,
  TYP_DPOP,
  TYP_PROOF,
  base64url,
  parseSdJwt,
  sha256,
  signJwt,
  utf8,
  type ErrorCode,
  type GrantState,
  type Jwk,
} from '@maskid/core';
import type { HolderKeyStore } from './keys.js';
import { fetchJson, readJson, type HttpFetch, type Json } from './http.js';

/** A credential offer object. */
export interface CredentialOffer {
  credential_issuer: string;
  credential_configuration_ids: string[];
  grants?: Record<string, unknown>;
}

/** An offer passed by reference: where to fetch it. */
export interface CredentialOfferReference {
  credential_offer_uri: string;
}

/** The details of every error about a malformed offer (what a wallet shows: "not an offer, check the link"). */
const OFFER_INVALID = { details: { reason: 'offer-invalid' } };

/** Checks that `offer` (parsed JSON) is an offer object. */
export function checkOffer(offer: unknown): CredentialOffer {
  const o = offer as Partial<CredentialOffer> | null;
  if (typeof o?.credential_issuer !== 'string' || !Array.isArray(o.credential_configuration_ids)) {
    throw new MaskidError('ERR_INPUT_INVALID', 'the offer lacks credential_issuer or credential_configuration_ids', OFFER_INVALID);
  }
  return o as CredentialOffer;
}

/** Parses an `openid-credential-offer://` URI: the offer by value, or its `credential_offer_uri` (by reference). */
export function parseOffer(uri: string): CredentialOffer | CredentialOfferReference {
  if (typeof uri !== 'string' || !uri.startsWith(CREDENTIAL_OFFER_SCHEME)) throw new MaskidError('ERR_INPUT_INVALID', `not an ${CREDENTIAL_OFFER_SCHEME} URI`, OFFER_INVALID);
  const params = new URLSearchParams(uri.slice(uri.indexOf('?') + 1));
  const reference = params.get('credential_offer_uri');
  if (reference !== null) {
    if (params.has('credential_offer')) throw new MaskidError('ERR_INPUT_INVALID', 'the offer URI carries both credential_offer and credential_offer_uri', OFFER_INVALID);
    return { credential_offer_uri: reference };
  }
  let offer: unknown;
  try {
    offer = JSON.parse(params.get('credential_offer') ?? '');
  } catch {
    throw new MaskidError('ERR_INPUT_INVALID', 'the offer is not JSON', OFFER_INVALID);
  }
  return checkOffer(offer);
}

/**
 * The token request member maskid's wallet sends (pre-authorized code and refresh alike): its one
 * configuration, so that the token response lists one `credential_identifier` per registered platform.
 */
export const WALLET_AUTHORIZATION_DETAILS = walletAuthorizationDetails([FORMAT_ID]);

/**
 * The `authorization_details` of a wallet that holds `forms`: maskid's wallet configuration of each
 * (VCDM: `InternetIdCredential`, SD-JWT VCLD: `InternetIdCredentialVCLD`), one identifier per platform each.
 */
export function walletAuthorizationDetails(forms: readonly CredentialFormat[]): string {
  return JSON.stringify(forms.map((f) => ({ type: 'openid_credential', credential_configuration_id: walletConfigurationId(f) })));
}

/** The pre-authorized code of an offer and whether it needs a PIN. */
export function preAuthorizedGrant(offer: CredentialOffer): { code: string; needsPin: boolean } {
  const grant = offer.grants?.[PRE_AUTHORIZED_GRANT] as { 'pre-authorized_code'?: string; tx_code?: unknown } | undefined;
  const code = grant?.['pre-authorized_code'];
  if (typeof code !== 'string') throw new MaskidError('ERR_INPUT_INVALID', 'the offer has no pre-authorized code', OFFER_INVALID);
  return { code, needsPin: grant?.tx_code !== undefined };
}

/** The issuer's endpoints, from its metadata. */
export interface IssuerEndpoints {
  issuer: string;
  tokenEndpoint: string;
  credentialEndpoint: string;
  nonceEndpoint: string;
  /** maskid's batch extension, when the issuer offers it. */
  batchEndpoint?: string;
}

/** The grant state member of a token answer (`maskid_grant_state`), when it is well-formed. */
export function grantStateOf(body: Json): GrantState | undefined {
  const g = body[GRANT_STATE_MEMBER] as Partial<GrantState> | undefined;
  if (!g || typeof g !== 'object' || !(GRANT_STATES as readonly string[]).includes(String(g.state))) return undefined;
  return { state: g.state as GrantState['state'], ...(typeof g.since === 'string' && !Number.isNaN(Date.parse(g.since)) ? { since: g.since } : {}) };
}

/** The wallet's error for a grant state (`details.reason` is the state), from a token answer or kept since. */
const GRANT_STATE_ERRORS: Record<GrantState['state'], [ErrorCode, string]> = {
  spent: ['ERR_STATE_INVALID', 'this offer or grant was already used or has expired'],
  revoked: ['ERR_STATUS_REVOKED', 'this Internet ID was revoked'],
  replaced: ['ERR_STATE_INVALID', 'a newer offer replaced this wallet'],
  suspended: ['ERR_STATUS_SUSPENDED', 'this Internet ID is suspended'],
};
export function grantStateError(grant: GrantState, details: Record<string, unknown> = {}): MaskidError {
  const [code, message] = GRANT_STATE_ERRORS[grant.state];
  return new MaskidError(code, message, { details: { ...details, reason: grant.state, ...(grant.since ? { since: grant.since } : {}) } });
}

/**
 * A refused token request as a typed error: `details.reason` says what happened in terms a wallet can put
 * in words (`pin-wrong` with `attemptsLeft`, `offer-void`, `spent`, `revoked`, `replaced`, `rate-limited`,
 * `refused`), `details.since` the date when the issuer gave one. Never a raw protocol string for a person.
 */
function tokenError(status: number, body: Json): MaskidError {
  const oauthError = String(body['error'] ?? status);
  const grant = grantStateOf(body);
  const left = body[TX_CODE_ATTEMPTS_LEFT_MEMBER];
  const details = { oauthError, ...(grant?.since ? { since: grant.since } : {}) };
  if (status === 429) return new MaskidError('ERR_STATE_INVALID', 'the issuer is busy; try again in a minute', { details: { ...details, reason: 'rate-limited' } });
  if (typeof left === 'number' && left > 0)
    return new MaskidError('ERR_INPUT_INVALID', `wrong PIN; ${left} tries left`, { details: { ...details, reason: 'pin-wrong', attemptsLeft: left } });
  if (typeof left === 'number')
    return new MaskidError('ERR_STATE_INVALID', 'wrong PIN; the offer is now void, ask for a new one', { details: { ...details, reason: 'offer-void' } });
  if (grant && grant.state !== 'suspended') return grantStateError(grant, details);
  return new MaskidError('ERR_INPUT_INVALID', `token request refused: ${oauthError}`, { details: { ...details, reason: 'refused' } });
}

/** An access token and the DPoP key it is bound to. */
export interface CredentialSession extends IssuerEndpoints {
  accessToken: string;
  dpopKeyId: string;
  dpopJwk: Jwk;
}

/** A credential received, bound to the fresh key `keyId`. */
export interface ReceivedCredential {
  sdJwt: string;
  keyId: string;
  payload: Record<string, unknown>;
}

/**
 * The client.
 *
 * @example
 * ```ts
 * const client = new Openid4vciClient({ fetch, keys, now: Date.now })
 * const endpoints = await client.discover('https://id.example.gov')
 * ```
 */
export class Openid4vciClient {
  readonly #fetch: HttpFetch;
  readonly #keys: HolderKeyStore;
  readonly #now: () => number;

  constructor(options: { fetch: HttpFetch; keys: HolderKeyStore; now: () => number }) {
    this.#fetch = options.fetch;
    this.#keys = options.keys;
    this.#now = options.now;
  }

  /** Reads the credential issuer and authorization server metadata. */
  async discover(issuer: string): Promise<IssuerEndpoints> {
    const metadata = await fetchJson(this.#fetch, `${issuer}/.well-known/openid-credential-issuer`);
    if (metadata['credential_issuer'] !== issuer) throw new MaskidError('ERR_ISSUER_UNTRUSTED', 'issuer metadata is for another issuer');
    const as = await fetchJson(this.#fetch, `${issuer}/.well-known/oauth-authorization-server`);
    const batch = metadata['maskid_batch_credential_endpoint'];
    return {
      issuer,
      tokenEndpoint: String(as['token_endpoint']),
      credentialEndpoint: String(metadata['credential_endpoint']),
      nonceEndpoint: String(metadata['nonce_endpoint']),
      ...(typeof batch === 'string' && batch.startsWith(`${issuer}/`) ? { batchEndpoint: batch } : {}),
    };
  }

  /** A token request (pre-authorized code or refresh token) with a DPoP proof by `dpopKeyId`. */
  async token(endpoint: string, dpopKeyId: string, dpopJwk: Jwk, params: Record<string, string>): Promise<Json> {
    const res = await this.#fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', DPoP: await this.dpopProof(dpopKeyId, dpopJwk, 'POST', endpoint) },
      body: new URLSearchParams(params).toString(),
    });
    const body = await readJson(res);
    if (!res.ok) throw tokenError(res.status, body);
    if (body['token_type'] !== 'DPoP' || typeof body['access_token'] !== 'string' || typeof body['refresh_token'] !== 'string') {
      throw new MaskidError('ERR_INPUT_INVALID', 'the token response is not a DPoP token response');
    }
    return body;
  }

  /** A DPoP proof (RFC 9449) for one request. */
  async dpopProof(keyId: string, jwk: Jwk, method: string, url: string, accessToken?: string): Promise<string> {
    const payload: Json = { jti: base64url(crypto.getRandomValues(new Uint8Array(16))), htm: method, htu: url, iat: Math.floor(this.#now() / 1000) };
    if (accessToken) payload['ath'] = base64url(await sha256(utf8(accessToken)));
    return signJwt({ typ: TYP_DPOP, jwk }, payload, await this.#keys.signer(keyId));
  }

  /** A fresh `c_nonce` from the nonce endpoint. */
  async nonce(session: CredentialSession): Promise<string> {
    const body = await readJson(await this.#fetch(session.nonceEndpoint, { method: 'POST' }));
    if (typeof body['c_nonce'] !== 'string') throw new MaskidError('ERR_INPUT_INVALID', 'the nonce endpoint returned no c_nonce');
    return body['c_nonce'];
  }

  /**
   * Credentials for `ids`, each bound to a fresh key made here, under one `c_nonce`: one batch request
   * when the issuer offers the extension, else one standard request per identifier (a stale nonce is
   * replaced once). `onReceived` gets each credential as soon as it is checked, so a wake-up that fails
   * part-way keeps what it received; keys of credentials not received are removed.
   */
  async requestCredentials(session: CredentialSession, ids: readonly string[], onReceived: (id: string, c: ReceivedCredential) => Promise<void>): Promise<void> {
    if (ids.length === 0) return;
    let cNonce = await this.nonce(session);
    const keys: { id: string; jwk: Jwk }[] = [];
    for (let i = 0; i < ids.length; i++) keys.push(await this.#keys.create());
    let next = 0;
    try {
      if (session.batchEndpoint) {
        const requests = [];
        for (const [i, id] of ids.entries()) requests.push({ credential_identifier: id, proofs: { jwt: [await this.#proof(session, keys[i]!, cNonce)] } });
        const body = await this.#post(session, session.batchEndpoint, { credential_requests: requests }, 'the batch credential request');
        const responses = body['credential_responses'];
        if (!Array.isArray(responses) || responses.length !== ids.length) throw new MaskidError('ERR_INPUT_INVALID', 'the batch response does not answer every request');
        for (; next < ids.length; next++) await onReceived(ids[next]!, this.#check(responses[next] as Json, ids[next]!, keys[next]!));
        return;
      }
      for (; next < ids.length; next++) {
        const id = ids[next]!;
        const request = async () => ({ credential_identifier: id, proofs: { jwt: [await this.#proof(session, keys[next]!, cNonce)] } });
        let body: Json;
        try {
          body = await this.#post(session, session.credentialEndpoint, await request(), `credential request for ${id}`);
        } catch (e) {
          if ((e as MaskidError).details?.['oauthError'] !== 'invalid_nonce') throw e;
          cNonce = await this.nonce(session);
          body = await this.#post(session, session.credentialEndpoint, await request(), `credential request for ${id}`);
        }
        await onReceived(id, this.#check(body, id, keys[next]!));
      }
    } finally {
      for (const key of keys.slice(next)) await this.#keys.remove(key.id);
    }
  }

  async #proof(session: CredentialSession, key: { id: string; jwk: Jwk }, cNonce: string): Promise<string> {
    return signJwt({ typ: TYP_PROOF, jwk: key.jwk }, { aud: session.issuer, iat: Math.floor(this.#now() / 1000), nonce: cNonce }, await this.#keys.signer(key.id));
  }

  async #post(session: CredentialSession, endpoint: string, payload: Json, what: string): Promise<Json> {
    const res = await this.#fetch(endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `DPoP ${session.accessToken}`,
        DPoP: await this.dpopProof(session.dpopKeyId, session.dpopJwk, 'POST', endpoint, session.accessToken),
      },
      body: JSON.stringify(payload),
    });
    const body = await readJson(res);
    if (!res.ok) throw new MaskidError('ERR_INPUT_INVALID', `${what} refused: ${String(body['error'] ?? res.status)}`, { details: { oauthError: body['error'] } });
    return body;
  }

  /** The credential of one credential response, checked to be for `id` and bound to `key`. */
  #check(body: Json, id: string, key: { id: string; jwk: Jwk }): ReceivedCredential {
    const sdJwt = (body?.['credentials'] as { credential?: unknown }[] | undefined)?.[0]?.credential;
    if (typeof sdJwt !== 'string') throw new MaskidError('ERR_INPUT_INVALID', `the issuer sent no credential for ${id}`);
    const { header, payload } = parseSdJwt(sdJwt).jwt;
    // Either form, as the identifier names it: its platform, and the VCLD form's typ for `<platform>.vcld`.
    const named = identifierOf(id);
    const { subject } = credentialViewOf(payload);
    const cnf = (payload['cnf'] as { jwk?: Jwk } | undefined)?.jwk;
    if (!named || subject['platform'] !== named.platform || (header['typ'] === TYP_DC_SD_JWT) !== (named.format === FORMAT_DC_SD_JWT)) {
      throw new MaskidError('ERR_PROFILE_INVALID', `the issuer sent another credential than the one asked for (${id})`);
    }
    if (cnf?.x !== key.jwk.x || cnf?.y !== key.jwk.y) {
      throw new MaskidError('ERR_PROFILE_INVALID', `the credential for ${id} is not bound to the key the wallet sent`);
    }
    return { sdJwt, keyId: key.id, payload };
  }
}
