/**
 * The agent's batch issuing method, `maskidIssueBatch`, configured in `agent.yml`: secures many
 * credentials of one issuer in one pass (one DID and key lookup per batch, one signing handle lent by
 * the key's KMS, no database round trip per credential). `CredentialService`, the CLI's `issue` and
 * the OpenID4VCI endpoints all issue through it, so the agent stays the one issuing surface.
 *
 * Proof formats are a table: `vc+sd-jwt` (the profile's VCDM 2.0 form) and `vc+jwt` (credentials
 * without disclosures: the status lists, every changed list of an epoch in one call); the planned
 * SD-JWT VC form (`dc+sd-jwt`) is one more row with its header, claim checks and builder.
 */
import type { IAgentContext, IAgentPlugin, IDIDManager, IKey, IKeyManager, IPluginMethodMap } from '@veramo/core-types';
import { CTY_VC, MaskidError, TYP_VC_JWT, TYP_VC_SD_JWT, VC_CONTEXT_V2 } from '@maskid/core';
import { secureJwtBatch, secureSdJwtBatch, type BatchSigningHandle } from './sd-jwt-batch.js';

/** The most credentials one call secures (a person × every registered platform fits many times over). */
export const MAX_BATCH = 5000;

/** Arguments of `maskidIssueBatch`. */
export interface IssueBatchArgs {
  /** The issuer DID, managed by this agent; every credential's `issuer`. */
  issuer: string;
  /** The signing key's `kid` in the key manager (one of the issuer DID's keys). */
  keyRef: string;
  proofFormat: 'vc+sd-jwt' | 'vc+jwt';
  /** Claims sets (VCDM 2.0, `@context` starting with the VCDM 2.0 context), secured in this order. */
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
  header(kid: string): Record<string, string>;
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

const FORMATS: Record<IssueBatchArgs['proofFormat'], FormatRule> = {
  'vc+sd-jwt': { header: (kid) => ({ typ: TYP_VC_SD_JWT, cty: CTY_VC, kid }), check: checkVcdm2, secure: secureSdJwtBatch },
  'vc+jwt': { header: (kid) => ({ typ: TYP_VC_JWT, cty: CTY_VC, kid }), check: checkVcdm2, secure: secureJwtBatch },
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

  constructor(options: { kms?: Record<string, BatchCapableKms> } = {}) {
    this.#kms = options.kms ?? {};
    this.methods = { maskidIssueBatch: this.issueBatch.bind(this) };
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
    let identifier: Awaited<ReturnType<IDIDManager['didManagerGet']>>;
    try {
      identifier = await context.agent.didManagerGet({ did: issuer });
    } catch (cause) {
      throw new MaskidError('ERR_KEY_UNKNOWN', `${String(issuer).slice(0, 100)} is not an issuer DID managed by this agent`, { cause });
    }
    const key = identifier.keys.find((k) => k.kid === keyRef);
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
    const secured = await rule.secure(credentials, handle, rule.header(`${issuer}#${key.kid}`));
    // Veramo's Agent.execute JSON-stringifies every result for its debug log, even with logging off: for a
    // batch that is a second copy of every credential (~8 µs each, measured). The log gets a count instead.
    return Object.defineProperty({ credentials: secured }, 'toJSON', { value: () => ({ credentials: `${secured.length} credentials` }), enumerable: false });
  }
}
