/**
 * The agent's batch issuing method, `maskidIssueBatch`, configured in `agent.yml`: secures many
 * credentials of one issuer in one pass (one DID and key lookup per batch, one signing handle lent by
 * the key's KMS, no database round trip per credential). `CredentialService`, the CLI's `issue` and
 * the OpenID4VCI endpoints all issue through it, so the agent stays the one issuing surface.
 *
 * Proof formats are a table: `vc+sd-jwt` (the profile's VCDM 2.0 form), `dc+sd-jwt` (the SD-JWT VCLD
 * form: the same builder with the disclosures under `ld.credentialSubject`) and `vc+jwt` (credentials
 * without disclosures: the status lists, every changed list of an epoch in one call) and `statuslist+jwt`
 * (IETF Token Status Lists).
 */
import type { IAgentContext, IAgentPlugin, IDIDManager, IIdentifier, IKey, IKeyManager, IPluginMethodMap } from '@veramo/core-types';
import { CTY_VC, MaskidError, TYP_DC_SD_JWT, TYP_STATUS_LIST_JWT, TYP_VC_JWT, TYP_VC_SD_JWT, VC_CONTEXT_V2, VCLD_SUBJECT_PATH, isIssuerUrlOf } from '@maskid/core';
import { secureJwtBatch, secureSdJwtBatch, type BatchSigningHandle } from './sd-jwt-batch.js';

/** How long the plugin keeps an issuer DID's keys as read (the issuer's settings are cached as long). */
export const IDENTIFIER_FRESH_MS = 5_000;

/** The most credentials one call secures (a person × every registered platform fits many times over). */
export const MAX_BATCH = 5000;

/** Arguments of `maskidIssueBatch`. */
export interface IssueBatchArgs {
  /** The issuer DID, managed by this agent; every credential's `issuer`. */
  issuer: string;
  /** The signing key's `kid` in the key manager (one of the issuer DID's keys). */
  keyRef: string;
  proofFormat: 'vc+sd-jwt' | 'dc+sd-jwt' | 'vc+jwt' | 'statuslist+jwt';
  /**
   * Claims sets, secured in this order: VCDM 2.0 (`@context` starting with the VCDM 2.0 context) for
   * `vc+sd-jwt` and `vc+jwt`; SD-JWT VCLD claims (`iss` the issuer's https URL, `ld` a VCDM object) for
   * `dc+sd-jwt`; Token Status List claims (`sub`, `status_list`) for `statuslist+jwt`.
   */
  credentials: readonly Record<string, unknown>[];
}

/** Result of `maskidIssueBatch`: compact SD-JWTs (every disclosure included) or JWSs, in input order. */
export interface IssueBatchResult {
  credentials: string[];
}

/** The plugin's methods, as an agent type parameter: `TAgent<IMaskidBatchIssuer & …>`. */
export interface IMaskidBatchIssuer extends IPluginMethodMap {
  maskidIssueBatch(args: IssueBatchArgs, context: IAgentContext<IDIDManager & IKeyManager>): Promise<IssueBatchResult>;
}

/** A KMS that can lend a batch signing handle (the node:crypto KMS). */
export interface BatchCapableKms {
  batchHandle(kid: string): Promise<BatchSigningHandle>;
}

interface FormatRule {
  /** The protected header (without `alg`) for the issuer DID and the key's fragment in its document. */
  header(issuer: string, fragment: string): Record<string, string>;
  check(claims: Record<string, unknown>, issuer: string, i: number): void;
  secure(claimsSets: readonly Record<string, unknown>[], handle: BatchSigningHandle, header: Record<string, string>): Promise<string[]>;
}

/** VCDM 2.0 claims of this issuer, without VCDM 1.1 members or an embedded proof. */
function checkVcdm2(claims: Record<string, unknown>, issuer: string, i: number): void {
  const ctx = claims['@context'];
  if (!Array.isArray(ctx) || ctx[0] !== VC_CONTEXT_V2) throw new MaskidError('ERR_PROFILE_INVALID', `credential ${i}: @context must start with ${VC_CONTEXT_V2}`);
  if (claims['issuer'] !== issuer) throw new MaskidError('ERR_PROFILE_INVALID', `credential ${i}: issuer must be ${issuer}`);
  if ('issuanceDate' in claims || 'proof' in claims) throw new MaskidError('ERR_PROFILE_INVALID', `credential ${i}: VCDM 1.1 issuanceDate and embedded proofs are not allowed`);
}

/** SD-JWT VCLD claims of this issuer: `iss` its https URL, a VCDM 2.0 object in `ld` without issuer, validity or status. */
function checkVcld(claims: Record<string, unknown>, issuer: string, i: number): void {
  if (!isIssuerUrlOf(claims['iss'], issuer)) throw new MaskidError('ERR_PROFILE_INVALID', `credential ${i}: iss must be the base URL of ${issuer}`);
  const ld = claims['ld'] as Record<string, unknown> | undefined;
  if (!ld || typeof ld !== 'object' || !Array.isArray(ld['@context']) || ld['@context'][0] !== VC_CONTEXT_V2) {
    throw new MaskidError('ERR_PROFILE_INVALID', `credential ${i}: ld must be a VCDM 2.0 object`);
  }
  for (const member of ['issuer', 'validFrom', 'validUntil', 'credentialStatus', 'proof'])
    if (member in ld) throw new MaskidError('ERR_PROFILE_INVALID', `credential ${i}: ld must not carry ${member} (the JWT claims do)`);
}

/** A Token Status List of this issuer: `iss` its URL, `sub` under it, a `status_list`. */
function checkTokenStatusList(claims: Record<string, unknown>, issuer: string, i: number): void {
  const sub = claims['sub'];
  if (typeof sub !== 'string' || !isIssuerUrlOf(claims['iss'], issuer) || !sub.startsWith(`${claims['iss']}/`) || !claims['status_list']) {
    throw new MaskidError('ERR_PROFILE_INVALID', `credential ${i}: a token status list needs iss (the issuer URL), sub under it and status_list`);
  }
}

const FORMATS: Record<IssueBatchArgs['proofFormat'], FormatRule> = {
  'vc+sd-jwt': { header: (issuer, kid) => ({ typ: TYP_VC_SD_JWT, cty: CTY_VC, kid: `${issuer}#${kid}` }), check: checkVcdm2, secure: secureSdJwtBatch },
  // An https `iss` with the key in JWT VC Issuer Metadata: `kid` is the key's fragment, the same in the DID document.
  'dc+sd-jwt': {
    header: (_issuer, kid) => ({ typ: TYP_DC_SD_JWT, kid }),
    check: checkVcld,
    secure: (sets, handle, header) => secureSdJwtBatch(sets, handle, header, VCLD_SUBJECT_PATH),
  },
  'vc+jwt': { header: (issuer, kid) => ({ typ: TYP_VC_JWT, cty: CTY_VC, kid: `${issuer}#${kid}` }), check: checkVcdm2, secure: secureJwtBatch },
  'statuslist+jwt': { header: (_issuer, kid) => ({ typ: TYP_STATUS_LIST_JWT, kid }), check: checkTokenStatusList, secure: secureJwtBatch },
};

const ALG_OF: Partial<Record<IKey['type'], 'ES256' | 'EdDSA'>> = { Secp256r1: 'ES256', Ed25519: 'EdDSA' };

/**
 * The batch issuer plugin. `kms` maps KMS names (as in the key manager) to KMSs that lend batch
 * handles; a key held by any other KMS (e.g. Veramo's stock `local`) is signed through
 * `keyManagerSign`, one call per credential.
 *
 * @example
 * ```ts
 * const { sdJwts } = await agent.maskidIssueBatch({ issuer: did, keyRef: kid, proofFormat: 'vc+sd-jwt', credentials })
 * ```
 */
export class MaskidBatchIssuer implements IAgentPlugin {
  readonly methods: IMaskidBatchIssuer;
  readonly #kms: Readonly<Record<string, BatchCapableKms>>;
  /**
   * Issuer DIDs with their keys as last read from the DID manager, for {@link IDENTIFIER_FRESH_MS}: one
   * identifier read (a TypeORM join over identifier, keys and services) per batch was ~4 % of a standard
   * credential request. A key the issuer's settings name but this copy lacks is read again at once; a key
   * removed from the DID by another process is used at most as long as `Issuer.settings()` names it anyway.
   */
  readonly #identifiers = new Map<string, { identifier: IIdentifier; at: number }>();

  constructor(options: { kms?: Record<string, BatchCapableKms> } = {}) {
    this.#kms = options.kms ?? {};
    this.methods = { maskidIssueBatch: this.issueBatch.bind(this) };
  }

  #fresh(did: string): IIdentifier | undefined {
    const held = this.#identifiers.get(did);
    return held && Date.now() - held.at < IDENTIFIER_FRESH_MS ? held.identifier : undefined;
  }

  async issueBatch(args: IssueBatchArgs, context: IAgentContext<IDIDManager & IKeyManager>): Promise<IssueBatchResult> {
    const rule = FORMATS[args?.proofFormat];
    if (!rule) throw new MaskidError('ERR_INPUT_INVALID', `proofFormat must be one of ${Object.keys(FORMATS).join(', ')}`);
    const { issuer, keyRef, credentials } = args;
    if (!Array.isArray(credentials) || credentials.length === 0 || credentials.length > MAX_BATCH) {
      throw new MaskidError('ERR_INPUT_INVALID', `credentials must be a list of 1 to ${MAX_BATCH} claims sets`);
    }
    credentials.forEach((c, i) => {
      if (!c || typeof c !== 'object' || Array.isArray(c)) throw new MaskidError('ERR_INPUT_INVALID', `credential ${i} is not an object`);
      rule.check(c, issuer, i);
    });
    let key = this.#fresh(issuer)?.keys.find((k) => k.kid === keyRef);
    if (!key) {
      let identifier: IIdentifier;
      try {
        identifier = await context.agent.didManagerGet({ did: issuer });
      } catch (cause) {
        throw new MaskidError('ERR_KEY_UNKNOWN', `${String(issuer).slice(0, 100)} is not an issuer DID managed by this agent`, { cause });
      }
      this.#identifiers.set(issuer, { identifier, at: Date.now() });
      key = identifier.keys.find((k) => k.kid === keyRef);
    }
    if (!key) throw new MaskidError('ERR_KEY_UNKNOWN', `${issuer} has no key ${String(keyRef).slice(0, 100)}`);
    const alg = ALG_OF[key.type];
    if (!alg) throw new MaskidError('ERR_ALG_NOT_ALLOWED', `key type ${key.type} is not allowed by the profile`);
    const lender = this.#kms[key.kms];
    const handle: BatchSigningHandle = lender
      ? await lender.batchHandle(key.kid)
      : {
          alg,
          sign: async (data) => Buffer.from(await context.agent.keyManagerSign({ keyRef: key.kid, data: data.toString('latin1'), algorithm: alg, encoding: 'utf-8' }), 'base64url'),
        };
    if (handle.alg !== alg) throw new MaskidError('ERR_ALG_NOT_ALLOWED', `the KMS signs ${handle.alg}, the key is ${alg}`);
    const secured = await rule.secure(credentials, handle, rule.header(issuer, key.kid));
    // Veramo's Agent.execute JSON-stringifies every result for its debug log, even with logging off: for a
    // batch that is a second copy of every credential (~8 µs each, measured). The log gets a count instead.
    return Object.defineProperty({ credentials: secured }, 'toJSON', { value: () => ({ credentials: `${secured.length} credentials` }), enumerable: false });
  }
}
