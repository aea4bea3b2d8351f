/**
 * OpenID4VCI 1.0, pre-authorized code flow, as the maskid profile uses it:
 * - an offer carries a single-use, short-lived pre-authorized code and needs a `tx_code` (PIN) sent
 *   by another channel; wrong PINs are counted and the code is burned after {@link MAX_TX_CODE_ATTEMPTS};
 * - tokens are DPoP-bound (RFC 9449) to the wallet's key; refresh tokens rotate on use;
 * - the offer is passed by reference (`credential_offer_uri`) and lists one credential configuration
 *   per registered platform plus maskid's wallet configuration;
 * - one mode per token (§8.2): a token request that asks for `authorization_details` (maskid's wallet,
 *   naming `InternetIdCredential`) gets one `credential_identifier` per registered platform and
 *   requests by identifier; one that does not (a standard client) requests by
 *   `credential_configuration_id`, one platform's configuration per request. Every request carries a
 *   proof by a fresh key (`openid4vci-proof+jwt`, `aud` = issuer URL, `nonce` = a `c_nonce`);
 * - `c_nonce`s are stateless: an expiry and random bytes under a MAC keyed from the KEK, valid for
 *   {@link Openid4vciLifetimes.cNonce} seconds and usable for every proof of a wallet's batch within
 *   that time (OpenID4VCI 1.0 leaves single use to the issuer); `POST /nonce` writes nothing. Nothing
 *   is stored per credential (a batch's keys must be distinct and not the DPoP key);
 * - a batch extension (`POST /batch-credential`) carries a wallet's key proofs in one DPoP request;
 * - tokens carry the person's generation: `reissue` invalidates every older token;
 * - single-use values (DPoP jtis) live in the database, so any number of
 *   issuer processes can serve one wallet's requests.
 */
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import {
  algForJwk,
  base64url,
  decodeJwt,
  didJwkFor,
  isAllowedAlg,
  publicJwk,
  CREDENTIAL_CONFIGURATION_ID,
  CREDENTIAL_OFFER_PATH,
  CREDENTIAL_OFFER_SCHEME,
  GRANT_STATE_MEMBER,
  TX_CODE_ATTEMPTS_LEFT_MEMBER,
  platformConfigurationId,
  configurationOf,
  credentialIdentifier,
  identifierOf,
  VCLD_CONFIGURATION_ID,
  walletConfigurationId,
  FORMAT_DC_SD_JWT,
  FORMAT_ID,
  type CredentialFormat,
  PRE_AUTHORIZED_GRANT,
  TYP_DPOP,
  TYP_PROOF,
  MaskidError,
  type DecodedJwt,
  type GrantState,
  type Jwk,
} from '@maskid/core';
import { In, LessThan, type EntityManager } from 'typeorm';
import { GrantEntity, PersonEntity, type GrantRow } from '../db/entities.js';
import { jwkThumbprintSync, sha256Base64url, verifyJwsSignature } from '../crypto/jws-verify.js';
import type { Issuer } from '../issuer.js';
import { findPerson } from './enrollment.js';
import { PlatformService } from './platforms.js';
import { CredentialService, type BatchItem } from './credentials.js';

export { CREDENTIAL_CONFIGURATION_ID, PRE_AUTHORIZED_GRANT, TYP_DPOP, TYP_PROOF };
export const MAX_TX_CODE_ATTEMPTS = 5;
/** The most credential requests one batch request carries. */
export const MAX_BATCH_REQUESTS = 1000;

/** An OAuth / OpenID4VCI protocol error: `error` is the protocol's code, `status` the HTTP status. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    /** Further members of the error body (maskid's documented extensions, e.g. `maskid_grant_state`). */
    readonly members: Record<string, unknown> = {},
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

/** `invalid_grant`, telling the wallet why in `maskid_grant_state` (see `GrantState` in `@maskid/core`). */
const grantError = (description: string, state: GrantState['state'], since?: string | null) =>
  new OAuthError(400, 'invalid_grant', description, { [GRANT_STATE_MEMBER]: { state, ...(since ? { since } : {}) } satisfies GrantState });

const DPOP_REPLAYED = () => new OAuthError(400, 'invalid_dpop_proof', 'DPoP proof was replayed');

/** A single-use value's row (a DPoP `jti`): unique by `handle`, deleted once expired. */
const singleUseRow = (kind: 'dpop_jti', handle: string, expiresAt: number): GrantRow => ({
  handle,
  kind,
  serial: '',
  generation: 0,
  txCodeHash: null,
  attempts: 0,
  jkt: null,
  expiresAt,
  used: false,
});

const hash = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
const secret = () => base64url(randomBytes(32));

/**
 * Decodes a JWS that carries its own public key in the `jwk` header (DPoP proofs, key proofs) and
 * checks `typ`, the `alg` allow-list, that the key is public and fits `alg`, and the signature.
 * Every failure is an OAuth error with `error`.
 */
async function selfSignedJws(jwt: string, typ: string, error: string, what: string): Promise<{ header: Record<string, unknown>; payload: Record<string, unknown>; jwk: Jwk }> {
  let decoded: DecodedJwt;
  try {
    decoded = decodeJwt(jwt, 8192);
  } catch {
    throw new OAuthError(400, error, `${what} is not a JWS`);
  }
  const { header, payload, signingInput, signature } = decoded;
  if (header['typ'] !== typ) throw new OAuthError(400, error, `${what} typ must be ${typ}`);
  if (!isAllowedAlg(header['alg'])) throw new OAuthError(400, error, `${what} alg is not allowed`);
  const jwk = header['jwk'] as Jwk | undefined;
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk) || 'd' in jwk) throw new OAuthError(400, error, `${what} jwk must be a public key`);
  let ok = false;
  try {
    ok = algForJwk(jwk) === header['alg'] && verifyJwsSignature(header['alg'] as string, jwk, signingInput, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new OAuthError(400, error, `${what} signature does not verify`);
  return { header, payload, jwk };
}

/** Lifetimes, seconds. */
export interface Openid4vciLifetimes {
  offer: number;
  access: number;
  refresh: number;
  /**
   * How long a spent refresh token can be used again when the answer to its use was lost (s): the wallet
   * retries at its next wake-up (12–18 h). The retry withdraws the unused tokens of the first use.
   */
  refreshGrace: number;
  cNonce: number;
  proofSkew: number;
}
export const DEFAULT_LIFETIMES: Openid4vciLifetimes = { offer: 600, access: 600, refresh: 90 * 86_400, refreshGrace: 86_400, cNonce: 300, proofSkew: 120 };

/** A checked DPoP proof. */
export interface DpopProof {
  jkt: string;
  jwk: Jwk;
  /**
   * The proof's single-use row when its replay check was left to the caller's own transaction (the token
   * endpoint writes it with the grant it spends: one write transaction instead of two).
   */
  replay?: { handle: string; expiresAt: number };
}

/**
 * The OpenID4VCI service (framework-free; the HTTP layer is a thin adapter).
 *
 * @example
 * ```ts
 * const { uri, txCode } = await oid4vci.createOffer('XXXX-XXXX-XXXX-XX')
 * ```
 */
export class Openid4vciService {
  #sweptAt = 0;
  readonly lifetimes: Openid4vciLifetimes;
  readonly #now: () => number;
  /** Kept for the service's life: it caches each platform's status-index permutation. */
  readonly #credentials: CredentialService;

  constructor(
    private readonly issuer: Issuer,
    options: { lifetimes?: Partial<Openid4vciLifetimes>; now?: () => number } = {},
  ) {
    this.lifetimes = { ...DEFAULT_LIFETIMES, ...options.lifetimes };
    this.#now = options.now ?? Date.now;
    this.#credentials = new CredentialService(issuer);
  }

  /**
   * Creates a single-use offer for a person: the `openid-credential-offer://` URI (by reference: a
   * `credential_offer_uri` under the issuer URL, short enough for a QR code), the offer it resolves to, and the PIN.
   */
  async createOffer(networkNumber: string): Promise<{ uri: string; offer: Record<string, unknown>; txCode: string; expiresAt: string }> {
    const person = await findPerson(this.issuer, networkNumber);
    if (person.state === 'deleted' || person.state === 'revoked') throw new MaskidError('ERR_STATE_INVALID', `this person is ${person.state}`);
    const { url } = await this.issuer.settings();
    // The reference in the URI; the pre-authorized code is derived from it (nothing more is stored, and
    // the code itself never appears in a URL or an access log).
    const reference = secret();
    const code = this.#codeFor(reference);
    const txCode = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = this.#now() + this.lifetimes.offer * 1000;
    await this.issuer.ds.getRepository(GrantEntity).insert({
      handle: hash(code),
      kind: 'offer',
      serial: person.serial,
      generation: person.generation,
      txCodeHash: hash(`${code}:${txCode}`),
      attempts: 0,
      jkt: null,
      expiresAt,
      used: false,
    } as never);
    const offerUri = `${url}${CREDENTIAL_OFFER_PATH}/${reference}`;
    return {
      uri: `${CREDENTIAL_OFFER_SCHEME}?credential_offer_uri=${encodeURIComponent(offerUri)}`,
      offer: await this.#offer(url, code),
      txCode,
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  /**
   * The offer a `credential_offer_uri` names (`GET /credential-offer/<reference>`), while its code is
   * unused and unexpired; otherwise a 404 `invalid_request`.
   */
  async offerByReference(reference: string): Promise<Record<string, unknown>> {
    const unknown = new OAuthError(404, 'invalid_request', 'this offer is unknown, used or expired; ask for a new one');
    if (!/^[A-Za-z0-9_-]{43}$/.test(reference)) throw unknown;
    const code = this.#codeFor(reference);
    const g = await this.issuer.ds.getRepository(GrantEntity).findOneBy({ handle: hash(code), kind: 'offer' });
    if (!g || g.used || g.expiresAt <= this.#now()) throw unknown;
    return this.#offer((await this.issuer.settings()).url, code);
  }

  /** An offer object: maskid's wallet configurations and every registered platform's, in both forms. */
  async #offer(url: string, code: string): Promise<Record<string, unknown>> {
    const platforms = await new PlatformService(this.issuer).list();
    return {
      credential_issuer: url,
      credential_configuration_ids: [
        CREDENTIAL_CONFIGURATION_ID,
        VCLD_CONFIGURATION_ID,
        ...platforms.flatMap((p) => [platformConfigurationId(p.id), platformConfigurationId(p.id, FORMAT_DC_SD_JWT)]),
      ],
      grants: {
        [PRE_AUTHORIZED_GRANT]: { 'pre-authorized_code': code, tx_code: { input_mode: 'numeric', length: 6, description: 'The 6-digit PIN given to you with this offer' } },
      },
    };
  }

  #offerKey: Buffer | undefined;
  #codeFor(reference: string): string {
    this.#offerKey ??= this.issuer.sealer.derive('openid4vci-offer-reference');
    return createHmac('sha256', this.#offerKey).update(reference).digest('base64url');
  }

  /**
   * The configurations a token request's `authorization_details` names (RFC 9396, OpenID4VCI 1.0 §5.1.1),
   * space-separated as the grant keeps them, or undefined when it has none: one `openid_credential`
   * entry naming maskid's wallet configuration (either form's) or a registered platform's, or two
   * entries naming the wallet configurations of both forms. Checked before the grant is spent.
   */
  async #requestedDetails(value: unknown): Promise<string | undefined> {
    if (value === undefined) return undefined;
    const bad = (why: string) => new OAuthError(400, 'invalid_authorization_details', why);
    let details: unknown;
    try {
      details = typeof value === 'string' && value.length <= 1024 ? JSON.parse(value) : undefined;
    } catch {
      throw bad('authorization_details is not JSON');
    }
    if (!Array.isArray(details) || details.length < 1 || details.length > 2)
      throw bad('authorization_details must be a JSON array of one openid_credential entry (or the two wallet configurations)');
    const ids: string[] = [];
    for (const d of details as (Record<string, unknown> | null)[]) {
      if (!d || typeof d !== 'object' || d['type'] !== 'openid_credential') throw bad('each authorization_details entry must have type openid_credential');
      const id = d['credential_configuration_id'];
      if (id === CREDENTIAL_CONFIGURATION_ID || id === VCLD_CONFIGURATION_ID) ids.push(id);
      else {
        const named = details.length === 1 ? configurationOf(id) : undefined;
        if (!named || !(await new PlatformService(this.issuer).byIds([named.platform])).size)
          throw bad(`unknown credential_configuration_id ${String(id).slice(0, 64)}${details.length > 1 ? ' (two entries must be the two wallet configurations)' : ''}`);
        ids.push(id as string);
      }
    }
    if (new Set(ids).size !== ids.length) throw bad('a configuration is named twice');
    return ids.join(' ');
  }

  /** The token response's `authorization_details`: each configuration a grant names with its identifiers (a wallet configuration: every registered platform's, in its form). */
  async #granted(details: string): Promise<{ configuration: string; identifiers: string[] }[]> {
    let platforms: string[] | undefined;
    const entries: { configuration: string; identifiers: string[] }[] = [];
    for (const configuration of details.split(' ')) {
      const named = configurationOf(configuration);
      const format: CredentialFormat = named?.format ?? (configuration === walletConfigurationId(FORMAT_DC_SD_JWT) ? FORMAT_DC_SD_JWT : FORMAT_ID);
      if (!named && !platforms) platforms = (await new PlatformService(this.issuer).list()).map((p) => p.id);
      const ids = named ? [named.platform] : platforms!;
      entries.push({ configuration, identifiers: ids.map((platform) => credentialIdentifier(platform, format)) });
    }
    return entries;
  }

  /** A fresh `c_nonce`: `base64url(expiry ‖ 12 random bytes ‖ MAC)`, nothing stored. */
  async nonce(): Promise<string> {
    const body = Buffer.alloc(16);
    body.writeUInt32BE(Math.floor(this.#now() / 1000) + this.lifetimes.cNonce, 0);
    randomBytes(12).copy(body, 4);
    return Buffer.concat([body, this.#nonceMac(body)]).toString('base64url');
  }

  /** True for a `c_nonce` made here whose lifetime has not passed. */
  #validNonce(nonce: string): boolean {
    if (!/^[A-Za-z0-9_-]{43}$/.test(nonce)) return false;
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== 32) return false;
    const body = raw.subarray(0, 16);
    if (!timingSafeEqual(raw.subarray(16), this.#nonceMac(body))) return false;
    return body.readUInt32BE(0) * 1000 > this.#now();
  }

  #nonceKey: Buffer | undefined;
  #nonceMac(body: Buffer): Buffer {
    this.#nonceKey ??= this.issuer.sealer.derive('openid4vci-c-nonce');
    return createHmac('sha256', this.#nonceKey).update(body).digest().subarray(0, 16);
  }

  /** Placeholders of the database's own SQL (hot statements bypass TypeORM's query building). */
  #ph(): (i: number) => string {
    return (i) => this.issuer.placeholder(i);
  }

  /**
   * Stores a single-use value; false when it is already there (a replay). One plain statement (per
   * request on the hot path): `INSERT … ON CONFLICT DO NOTHING`, a replay inserts nothing.
   */
  async #remember(kind: 'dpop_jti', handle: string, expiresAt: number): Promise<boolean> {
    const ph = this.#ph();
    const r = singleUseRow(kind, handle, expiresAt);
    const result: unknown = await this.issuer.ds.query(
      `INSERT INTO maskid_grant (handle, kind, serial, generation, tx_code_hash, attempts, jkt, expires_at, used) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9].map(ph).join(', ')}) ON CONFLICT (handle) DO NOTHING RETURNING handle`,
      [r.handle, r.kind, r.serial, r.generation, r.txCodeHash, r.attempts, r.jkt, r.expiresAt, this.issuer.ds.options.type === 'postgres' ? r.used : 0],
    );
    return Array.isArray(result) && result.length === 1;
  }

  /**
   * Checks a DPoP proof (RFC 9449 §4.3): `typ`, allowed `alg`, a public `jwk` that signed it, `htm`,
   * `htu`, fresh `iat`, unused `jti`, and `ath` when an access token is presented.
   */
  async checkDpop(proof: string | undefined, method: string, url: string, accessToken?: string, options: { deferReplayCheck?: boolean } = {}): Promise<DpopProof> {
    if (!proof) throw new OAuthError(400, 'invalid_dpop_proof', 'a DPoP proof is required');
    const { payload, jwk } = await selfSignedJws(proof, TYP_DPOP, 'invalid_dpop_proof', 'DPoP proof');
    if (payload['htm'] !== method) throw new OAuthError(400, 'invalid_dpop_proof', 'DPoP htm does not match');
    if (payload['htu'] !== url) throw new OAuthError(400, 'invalid_dpop_proof', 'DPoP htu does not match');
    const nowSec = Math.floor(this.#now() / 1000);
    const iat = payload['iat'];
    if (typeof iat !== 'number' || Math.abs(nowSec - iat) > this.lifetimes.proofSkew) throw new OAuthError(400, 'invalid_dpop_proof', 'DPoP iat is not fresh');
    const jti = payload['jti'];
    if (typeof jti !== 'string' || jti.length < 8 || jti.length > 128) throw new OAuthError(400, 'invalid_dpop_proof', 'DPoP jti is missing');
    await this.#sweep();
    const replay = { handle: hash(`dpop:${jti}`), expiresAt: this.#now() + 2 * this.lifetimes.proofSkew * 1000 };
    if (!options.deferReplayCheck && !(await this.#remember('dpop_jti', replay.handle, replay.expiresAt))) throw DPOP_REPLAYED();
    if (accessToken !== undefined && payload['ath'] !== sha256Base64url(accessToken)) {
      throw new OAuthError(401, 'invalid_token', 'DPoP ath does not match the access token');
    }
    return { jkt: jwkThumbprintSync(jwk), jwk: publicJwk(jwk), ...(options.deferReplayCheck ? { replay } : {}) };
  }

  /**
   * The token endpoint: pre-authorized code (with PIN) or refresh token, DPoP-bound. Spending the
   * code or the old refresh token and storing the new tokens is one transaction: a crash in between
   * leaves either the old grant usable or the new tokens stored, never a spent grant without tokens.
   */
  async token(params: Record<string, unknown>, dpop: DpopProof): Promise<Record<string, unknown>> {
    const grantType = params['grant_type'];
    const details = await this.#requestedDetails(params['authorization_details']);
    let spend: (m: EntityManager) => Promise<{ serial: string; generation: number } | { wrong: number }>;
    let parent: string | null = null;
    if (grantType === PRE_AUTHORIZED_GRANT) {
      const code = params['pre-authorized_code'];
      if (typeof code !== 'string' || !code) throw new OAuthError(400, 'invalid_request', 'pre-authorized_code is required');
      const txCode = params['tx_code'];
      if (typeof txCode !== 'string' || !txCode) throw new OAuthError(400, 'invalid_request', 'tx_code is required for this offer');
      spend = async (m) => {
        const g = await m.findOneBy(GrantEntity, { handle: hash(code), kind: 'offer' });
        if (!g || g.used || g.expiresAt <= this.#now()) throw grantError('the pre-authorized code is unknown, used or expired', 'spent');
        const expected = Buffer.from(g.txCodeHash ?? '', 'hex');
        const given = Buffer.from(hash(`${code}:${txCode}`), 'hex');
        if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
          const attempts = g.attempts + 1;
          await m.update(GrantEntity, { handle: g.handle }, { attempts, used: attempts >= MAX_TX_CODE_ATTEMPTS });
          return { wrong: attempts };
        }
        await m.update(GrantEntity, { handle: g.handle }, { used: true });
        return { serial: g.serial, generation: g.generation };
      };
    } else if (grantType === 'refresh_token') {
      const token = params['refresh_token'];
      if (typeof token !== 'string' || !token) throw new OAuthError(400, 'invalid_request', 'refresh_token is required');
      spend = async (m) => {
        const row = await this.issuer.rowByKey(GrantEntity, hash(token), m);
        const g = row?.kind === 'refresh' ? row : undefined;
        const now = this.#now();
        if (!g || g.expiresAt <= now) throw grantError('the refresh token is unknown, used or expired', 'spent');
        if (g.jkt !== dpop.jkt) throw new OAuthError(400, 'invalid_grant', 'the refresh token is bound to another DPoP key');
        parent = g.handle;
        if (g.used) {
          // A retry within the grace window (the answer to the first use was lost): allowed while the tokens
          // issued then were never used; they are withdrawn, so one lineage of tokens stays alive.
          const children = await m.findBy(GrantEntity, { parent: g.handle });
          if (children.some((c) => c.kind === 'refresh' && c.used)) throw grantError('the refresh token is unknown, used or expired', 'spent');
          // Concurrent retries: only the one that moves the use counter wins.
          const bumped = await m.update(GrantEntity, { handle: g.handle, attempts: g.attempts }, { attempts: g.attempts + 1 });
          if (bumped.affected !== 1) throw grantError('the refresh token is unknown, used or expired', 'spent');
          if (children.length > 0) await m.delete(GrantEntity, { parent: g.handle, used: false });
          return { serial: g.serial, generation: g.generation };
        }
        // Rotation is single-use even across processes: only the request that flips `used` wins. The spent
        // token stays usable for a retry until the grace window ends (never past its own expiry).
        const grace = Math.min(g.expiresAt, now + this.lifetimes.refreshGrace * 1000);
        const flipped = await m.update(GrantEntity, { handle: g.handle, used: false }, { used: true, attempts: 1, expiresAt: grace });
        if (flipped.affected !== 1) throw grantError('the refresh token is unknown, used or expired', 'spent');
        return { serial: g.serial, generation: g.generation };
      };
    } else {
      throw new OAuthError(400, 'unsupported_grant_type', 'grant_type must be the pre-authorized code or refresh_token');
    }
    const access = secret();
    const refresh = secret();
    // Refresh-token rotation is a conditional row update, safe without the issuer-wide write lock (which
    // only serialises it on SQLite, a single writer anyway); the PIN counter of an offer keeps the lock.
    const run = grantType === 'refresh_token' ? this.issuer.writeRows.bind(this.issuer) : this.issuer.write.bind(this.issuer);
    const work = run(async (m) => {
      // The DPoP proof's jti, when its replay check was deferred: in the same transaction as the grant it
      // spends (a replay fails the insert and nothing is spent).
      if (dpop.replay) await this.issuer.insertRows(GrantEntity, [singleUseRow('dpop_jti', dpop.replay.handle, dpop.replay.expiresAt)], m);
      const spent = await spend(m);
      // A wrong PIN is counted (committed) and then refused outside the transaction.
      if ('wrong' in spent) return spent;
      const { serial, generation } = spent;
      const person = await this.issuer.rowByKey(PersonEntity, serial, m);
      if (!person || person.state === 'deleted') throw grantError('this grant is no longer valid', 'spent');
      if (person.state === 'revoked') throw grantError('this Internet ID was revoked', 'revoked', person.changedAt);
      if (person.generation !== generation) throw grantError('a newer offer replaced this grant', 'replaced', person.changedAt);
      const now = this.#now();
      const base = { serial, generation, txCodeHash: null, attempts: 0, jkt: dpop.jkt, used: false, parent };
      await this.issuer.insertRows(
        GrantEntity,
        [
          { ...base, handle: hash(access), kind: 'access', expiresAt: now + this.lifetimes.access * 1000, details: details ?? null },
          { ...base, handle: hash(refresh), kind: 'refresh', expiresAt: now + this.lifetimes.refresh * 1000 },
        ],
        m,
      );
      return { ...spent, suspendedSince: person.state === 'suspended' ? (person.changedAt ?? '') : undefined };
    });
    let outcome: Awaited<typeof work>;
    try {
      outcome = await work;
    } catch (e) {
      // A failed insert of the jti (outside the rolled-back transaction, so PostgreSQL can be asked): a replay.
      if (dpop.replay && !(e instanceof OAuthError) && (await this.issuer.ds.getRepository(GrantEntity).existsBy({ handle: dpop.replay.handle }))) throw DPOP_REPLAYED();
      throw e;
    }
    if ('wrong' in outcome) {
      const left = Math.max(0, MAX_TX_CODE_ATTEMPTS - outcome.wrong);
      throw new OAuthError(400, 'invalid_grant', left === 0 ? 'wrong tx_code; the offer is now void, ask for a new one' : 'wrong tx_code', {
        [TX_CODE_ATTEMPTS_LEFT_MEMBER]: left,
        ...(left === 0 ? { [GRANT_STATE_MEMBER]: { state: 'spent' } satisfies GrantState } : {}),
      });
    }
    const response: Record<string, unknown> = { access_token: access, token_type: 'DPoP', expires_in: this.lifetimes.access, refresh_token: refresh };
    // A suspended person's wallet still renews (the credentials carry the suspension bit) and is told why sign-ins fail.
    if (outcome.suspendedSince !== undefined)
      response[GRANT_STATE_MEMBER] = { state: 'suspended', ...(outcome.suspendedSince ? { since: outcome.suspendedSince } : {}) } satisfies GrantState;
    // §6.2: `authorization_details` only when the request asked for them (then credentials are requested by identifier).
    if (details)
      response['authorization_details'] = (await this.#granted(details)).map((e) => ({
        type: 'openid_credential',
        credential_configuration_id: e.configuration,
        credential_identifiers: e.identifiers,
      }));
    return response;
  }

  /** Resolves a DPoP-bound access token. */
  async accessGrant(token: string | undefined, dpop: DpopProof): Promise<GrantRow> {
    if (!token) throw new OAuthError(401, 'invalid_token', 'a DPoP access token is required');
    const ph = this.#ph();
    const rows: Record<string, unknown>[] = await this.issuer.ds.query(
      `SELECT handle, serial, generation, jkt, expires_at, details FROM maskid_grant WHERE handle = ${ph(1)} AND kind = ${ph(2)}`,
      [hash(token), 'access'],
    );
    const row = rows[0];
    const g = row
      ? ({
          handle: String(row['handle']),
          kind: 'access',
          serial: String(row['serial']),
          generation: Number(row['generation']),
          txCodeHash: null,
          attempts: 0,
          jkt: row['jkt'] === null ? null : String(row['jkt']),
          expiresAt: Number(row['expires_at']),
          used: false,
          details: row['details'] === null ? null : String(row['details']),
        } satisfies GrantRow)
      : undefined;
    if (!g || g.expiresAt <= this.#now()) throw new OAuthError(401, 'invalid_token', 'the access token is unknown or expired');
    if (g.jkt !== dpop.jkt) throw new OAuthError(401, 'invalid_token', 'the access token is bound to another DPoP key');
    return g;
  }

  /** The credential endpoint (OpenID4VCI 1.0 §8): one credential for one platform, bound to the proof's key. */
  async credential(token: string | undefined, dpop: DpopProof, body: unknown): Promise<Record<string, unknown>> {
    const [response] = await this.#issue(token, dpop, [body]);
    return response!;
  }

  /**
   * The batch extension (`maskid_batch_credential_endpoint` in the metadata; a standard client ignores
   * it): `{ "credential_requests": [<credential request>, …] }` under one DPoP-bound access token and one
   * DPoP proof, answered by `{ "credential_responses": [<credential response>, …] }` in the same order.
   * Each request is exactly what `POST /credential` takes. All or nothing: one bad request refuses the
   * batch and nothing is signed.
   */
  async batchCredential(token: string | undefined, dpop: DpopProof, body: unknown): Promise<Record<string, unknown>> {
    const requests = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)['credential_requests'] : undefined;
    if (!Array.isArray(requests) || requests.length === 0 || requests.length > MAX_BATCH_REQUESTS) {
      throw new OAuthError(400, 'invalid_credential_request', `credential_requests must list 1 to ${MAX_BATCH_REQUESTS} credential requests`);
    }
    return { credential_responses: await this.#issue(token, dpop, requests) };
  }

  /**
   * Checks every request of a batch (identifier, one key proof each, keys distinct and not the DPoP key),
   * then issues them in one pass. Nothing is stored per credential: `c_nonce`s are stateless and a
   * proof key is not recorded (reusing a key across requests would only link the wallet's own
   * credentials, which the wallet decides; within one batch duplicates are refused).
   */
  async #issue(token: string | undefined, dpop: DpopProof, bodies: readonly unknown[]): Promise<Record<string, unknown>[]> {
    const grant = await this.accessGrant(token, dpop);
    const { url } = await this.issuer.settings();
    // The platform a request names, in the token's one mode (§8.2): by identifier when the token request
    // asked for authorization_details, else by a platform's configuration id.
    const byIdentifier = typeof grant.details === 'string';
    // By identifier, each identifier names a platform and a form, which one of the configurations the token
    // was granted for must cover: that form's wallet configuration, or that platform's own configuration in
    // that form (read from the identifier: a single request must not load the whole registry).
    const grantedConfigurations = byIdentifier ? grant.details!.split(' ') : [];
    const requestOf = (b: Record<string, unknown>): { platform: string; format: CredentialFormat } => {
      if (byIdentifier) {
        if ('credential_configuration_id' in b)
          throw new OAuthError(400, 'invalid_credential_request', 'this token came with credential_identifiers: request by credential_identifier, not credential_configuration_id');
        const id = b['credential_identifier'];
        if (typeof id !== 'string') throw new OAuthError(400, 'invalid_credential_request', 'credential_identifier is required');
        const named = identifierOf(id);
        if (!named || !grantedConfigurations.some((c) => c === walletConfigurationId(named.format) || c === platformConfigurationId(named.platform, named.format)))
          throw new OAuthError(400, 'unknown_credential_identifier', `unknown credential_identifier ${id.slice(0, 64)}`);
        return named;
      }
      if ('credential_identifier' in b)
        throw new OAuthError(400, 'invalid_credential_request', 'this token came without authorization_details: request by credential_configuration_id');
      const id = b['credential_configuration_id'];
      if (typeof id !== 'string') throw new OAuthError(400, 'invalid_credential_request', 'credential_configuration_id is required');
      const named = configurationOf(id);
      if (!named) throw new OAuthError(400, 'unknown_credential_configuration', `unknown credential_configuration_id ${id.slice(0, 64)}`);
      return named;
    };
    const platformOf = (b: Record<string, unknown>): string => requestOf(b).platform;
    // Only the platforms asked for (a single request must not load the whole registry).
    // (A request that names none is refused in the loop below, in order with the other checks.)
    const asked = bodies.flatMap((b) => {
      try {
        return b && typeof b === 'object' && !Array.isArray(b) ? [platformOf(b as Record<string, unknown>)] : [];
      } catch {
        return [];
      }
    });
    const platforms = await new PlatformService(this.issuer).byIds(new Set(asked));
    const items: BatchItem[] = [];
    const keys = new Set<string>([dpop.jkt]);
    for (const body of bodies) {
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new OAuthError(400, 'invalid_credential_request', 'a credential request must be a JSON object');
      const b = body as Record<string, unknown>;
      const { platform: id, format } = requestOf(b);
      const platform = platforms.get(id);
      if (!platform) {
        if (byIdentifier) throw new OAuthError(400, 'unknown_credential_identifier', `unknown credential_identifier ${id.slice(0, 64)}`);
        throw new OAuthError(400, 'unknown_credential_configuration', `unknown credential_configuration_id ${platformConfigurationId(id, format)}`);
      }
      const proofs = (b['proofs'] as Record<string, unknown> | undefined)?.['jwt'];
      if (!Array.isArray(proofs) || proofs.length !== 1 || typeof proofs[0] !== 'string') {
        throw new OAuthError(400, 'invalid_proof', 'proofs.jwt must hold exactly one key proof');
      }
      const holderJwk = await this.#checkProof(proofs[0], url);
      const thumb = jwkThumbprintSync(holderJwk);
      if (thumb === dpop.jkt) throw new OAuthError(400, 'invalid_proof', 'the credential key must not be the DPoP key');
      if (keys.has(thumb)) throw new OAuthError(400, 'invalid_proof', 'each credential needs its own key');
      keys.add(thumb);
      items.push({ platform, holder: didJwkFor(holderJwk), format });
    }
    const person = await this.issuer.rowByKey(PersonEntity, grant.serial);
    if (!person || person.generation !== grant.generation) throw new OAuthError(401, 'invalid_token', 'the access token is no longer valid');
    if (person.state === 'deleted' || person.state === 'revoked') throw new OAuthError(400, 'credential_request_denied', 'no credentials can be issued for this person');
    const issued = await this.#credentials.issueBatch(person, items, this.#now());
    return issued.map((c) => ({ credentials: [{ credential: c.sdJwt }] }));
  }

  async #checkProof(jwt: string, audience: string): Promise<Jwk> {
    const { header, payload, jwk } = await selfSignedJws(jwt, TYP_PROOF, 'invalid_proof', 'the key proof');
    if ('kid' in header || 'x5c' in header) throw new OAuthError(400, 'invalid_proof', 'the key proof must carry the key as jwk');
    if (payload['aud'] !== audience) throw new OAuthError(400, 'invalid_proof', 'the key proof aud must be the credential issuer');
    const nowSec = Math.floor(this.#now() / 1000);
    if (typeof payload['iat'] !== 'number' || Math.abs(nowSec - payload['iat']) > this.lifetimes.proofSkew)
      throw new OAuthError(400, 'invalid_proof', 'the key proof iat is not fresh');
    if ('iss' in payload) throw new OAuthError(400, 'invalid_proof', 'iss must be omitted with anonymous pre-authorized access');
    const nonce = payload['nonce'];
    if (typeof nonce !== 'string' || !this.#validNonce(nonce)) {
      throw new OAuthError(400, 'invalid_nonce', 'the key proof nonce is unknown or stale; get a new c_nonce');
    }
    return publicJwk(jwk);
  }

  /** Deletes expired single-use values, at most once a minute per process. */
  async #sweep(): Promise<void> {
    const now = this.#now();
    if (now - this.#sweptAt < 60_000) return;
    this.#sweptAt = now;
    await this.issuer.ds.getRepository(GrantEntity).delete({ kind: In(['c_nonce', 'dpop_jti', 'proof_key']), expiresAt: LessThan(now) });
  }
}
