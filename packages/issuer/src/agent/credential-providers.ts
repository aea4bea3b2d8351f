/**
 * Credential providers for `@veramo/credential-w3c`'s `CredentialPlugin`:
 * - `vc+sd-jwt`: the maskid profile SD-JWT (VC-JOSE-COSE §3.2), returned as an
 *   `EnvelopedVerifiableCredential` (`data:application/vc+sd-jwt,…`);
 * - `vc+jwt`: a VCDM 2.0 credential secured as a JWS (status lists, the platform registry).
 * Both sign through the agent's key manager (so the node:crypto KMS) and never add VCDM 1.1's
 * `issuanceDate`.
 */
import type { ICredentialProvider } from '@veramo/credential-w3c';
import type {
  IAgentContext,
  ICreateVerifiableCredentialArgs,
  ICreateVerifiablePresentationArgs,
  IKey,
  IKeyManager,
  IResolver,
  IVerifyCredentialArgs,
  IVerifyResult,
  ProofFormat,
  VerifiableCredential,
  VerifiablePresentation,
  IDIDManager,
} from '@veramo/core-types';
import {
  ENVELOPED_VC_JWT_PREFIX,
  decodeJwt,
  envelope,
  issueSdJwtCredential,
  parseSdJwt,
  signJwt,
  verifyJwt,
  MaskidError,
  TYP_VC_JWT,
  CTY_VC,
  VC_CONTEXT_V2,
  algForJwk,
  type Jwk,
  type JwsSigner,
} from '@maskid/core';

type Context = IAgentContext<IKeyManager & IDIDManager & IResolver>;
// biome-ignore lint/suspicious/noExplicitAny: CredentialPlugin passes its own narrower context type
type AnyContext = IAgentContext<any>;

/** The proof format names. */
export const PROOF_FORMAT_SD_JWT = 'vc+sd-jwt' as ProofFormat;
export const PROOF_FORMAT_VC_JWT = 'vc+jwt' as ProofFormat;

/** The signing key of an issuer DID: `keyRef` if given, else its first ES256/EdDSA key. */
async function signingKey(issuer: string, keyRef: string | undefined, context: Context): Promise<IKey> {
  const identifier = await context.agent.didManagerGet({ did: issuer });
  const key = identifier.keys.find((k) => (keyRef ? k.kid === keyRef : k.type === 'Secp256r1' || k.type === 'Ed25519'));
  if (!key) throw new MaskidError('ERR_KEY_UNKNOWN', `issuer ${issuer} has no usable signing key${keyRef ? ` ${keyRef}` : ''}`);
  return key;
}

/** A {@link JwsSigner} that signs through the agent's key manager. */
export function keyManagerSigner(key: IKey, context: Context): JwsSigner {
  const alg = key.type === 'Secp256r1' ? 'ES256' : key.type === 'Ed25519' ? 'EdDSA' : undefined;
  if (!alg) throw new MaskidError('ERR_ALG_NOT_ALLOWED', `key type ${key.type} is not allowed by the profile`);
  return {
    alg,
    async sign(data) {
      const sig = await context.agent.keyManagerSign({ keyRef: key.kid, data: new TextDecoder().decode(data), algorithm: alg, encoding: 'utf-8' });
      return Buffer.from(sig, 'base64url');
    },
  };
}

const VCDM_1_1_CONTEXT = 'https://www.w3.org/2018/credentials/v1';

/**
 * The credential as the caller meant it. Veramo 7's `CredentialPlugin` mutates the caller's object
 * before handing it to a provider: it adds VCDM 1.1's `issuanceDate` and unshifts the VCDM 1.1
 * context into the caller's `@context` array. Both are removed here (a copy is returned).
 */
function vcdm2(credential: Record<string, unknown>): Record<string, unknown> {
  const { issuanceDate: _drop, proof: _proof, ...rest } = credential;
  const ctx = Array.isArray(rest['@context']) ? (rest['@context'] as unknown[]).filter((c) => c !== VCDM_1_1_CONTEXT) : [];
  if (ctx[0] !== VC_CONTEXT_V2) throw new MaskidError('ERR_PROFILE_INVALID', `@context must start with ${VC_CONTEXT_V2}`);
  if (typeof rest['issuer'] !== 'string') throw new MaskidError('ERR_PROFILE_INVALID', 'issuer must be a DID string');
  return { ...rest, '@context': ctx };
}

/** Resolves the public JWK of `kid`, which must be listed under the DID document's `assertionMethod`. */
export async function assertionKey(issuer: string, kid: string, context: Context): Promise<Jwk> {
  const result = await context.agent.resolveDid({ didUrl: issuer });
  const doc = result.didDocument;
  if (!doc) throw new MaskidError('ERR_ISSUER_UNTRUSTED', `cannot resolve ${issuer}`);
  const fragment = kid.slice(kid.indexOf('#'));
  const matches = (id: string) => id === kid || id === fragment;
  const listed = (doc.assertionMethod ?? []).some((m) => (typeof m === 'string' ? matches(m) : matches(m.id)));
  const vm = [...(doc.verificationMethod ?? []), ...(doc.assertionMethod ?? []).filter((m) => typeof m !== 'string')].find((m) => typeof m !== 'string' && matches(m.id)) as
    | { publicKeyJwk?: Jwk }
    | undefined;
  if (!listed || !vm?.publicKeyJwk) throw new MaskidError('ERR_KEY_UNKNOWN', `${kid} is not an assertion key of ${issuer}`);
  return vm.publicKeyJwk;
}

abstract class JoseCredentialProvider implements ICredentialProvider {
  protected abstract readonly format: ProofFormat;
  protected abstract readonly prefix: string;

  getProofFormatsSupportedForKey(key: IKey): ProofFormat[] {
    return key.type === 'Secp256r1' || key.type === 'Ed25519' ? [this.format] : [];
  }

  canIssueProofFormat({ proofFormat }: { proofFormat: ProofFormat }): boolean {
    return proofFormat === this.format;
  }

  canVerifyDocumentType({ document }: { document: unknown }): boolean {
    const d = document as { type?: unknown; id?: unknown } | string;
    if (typeof d === 'string') return d.startsWith(this.prefix);
    return d?.type === 'EnvelopedVerifiableCredential' && typeof d.id === 'string' && d.id.startsWith(this.prefix);
  }

  async createVerifiablePresentation(_args: ICreateVerifiablePresentationArgs, _context: AnyContext): Promise<VerifiablePresentation> {
    throw new Error(`not_supported: ${this.format} presentations are made by the holder wallet`);
  }

  async verifyPresentation(): Promise<IVerifyResult> {
    throw new Error(`not_supported: ${this.format} presentations are verified by @maskid/verifier`);
  }

  abstract createVerifiableCredential(args: ICreateVerifiableCredentialArgs, context: AnyContext): Promise<VerifiableCredential>;

  abstract verifyCredential(args: IVerifyCredentialArgs, context: AnyContext): Promise<IVerifyResult>;

  protected compactOf(document: unknown): string {
    const d = document as { id?: string } | string;
    const s = typeof d === 'string' ? d : (d.id ?? '');
    return s.slice(this.prefix.length);
  }
}

/**
 * Issues profile SD-JWTs through Veramo.
 *
 * @example
 * ```ts
 * const vc = await agent.createVerifiableCredential({ credential, proofFormat: 'vc+sd-jwt' })
 * vc.id // 'data:application/vc+sd-jwt,eyJ...~WyJ...~'
 * ```
 */
export class SdJwtCredentialProvider extends JoseCredentialProvider {
  protected readonly format = PROOF_FORMAT_SD_JWT;
  protected readonly prefix = 'data:application/vc+sd-jwt,';

  async createVerifiableCredential(args: ICreateVerifiableCredentialArgs, anyContext: AnyContext): Promise<VerifiableCredential> {
    const context = anyContext as Context;
    const credential = vcdm2(args.credential as Record<string, unknown>);
    const key = await signingKey(credential['issuer'] as string, args.keyRef, context);
    const sdJwt = await issueSdJwtCredential(credential, keyManagerSigner(key, context), `${credential['issuer']}#${key.kid}`);
    return envelope(sdJwt) as unknown as VerifiableCredential;
  }

  /** Verifies the issuer signature and `typ` (presentation checks live in @maskid/verifier). */
  async verifyCredential(args: IVerifyCredentialArgs, anyContext: AnyContext): Promise<IVerifyResult> {
    const context = anyContext as Context;
    try {
      const parsed = parseSdJwt(this.compactOf(args.credential));
      await verifyJwt(parsed.jwtCompact, {
        expectedTyp: 'vc+sd-jwt',
        key: (header, payload) => assertionKey(String(payload['issuer']), String(header['kid']), context),
      });
      return { verified: true };
    } catch (e) {
      return { verified: false, error: { message: (e as Error).message, errorCode: (e as MaskidError).code ?? 'ERR_INTERNAL' } };
    }
  }
}

/** Issues VCDM 2.0 credentials secured as `vc+jwt` (VC-JOSE-COSE §3.1.1). */
export class VcJwtCredentialProvider extends JoseCredentialProvider {
  protected readonly format = PROOF_FORMAT_VC_JWT;
  protected readonly prefix = ENVELOPED_VC_JWT_PREFIX;

  async createVerifiableCredential(args: ICreateVerifiableCredentialArgs, anyContext: AnyContext): Promise<VerifiableCredential> {
    const context = anyContext as Context;
    const credential = vcdm2(args.credential as Record<string, unknown>);
    const key = await signingKey(credential['issuer'] as string, args.keyRef, context);
    const signer = keyManagerSigner(key, context);
    const jwt = await signJwt({ typ: TYP_VC_JWT, cty: CTY_VC, kid: `${credential['issuer']}#${key.kid}` }, credential, signer);
    return { '@context': [VC_CONTEXT_V2], type: 'EnvelopedVerifiableCredential', id: ENVELOPED_VC_JWT_PREFIX + jwt } as unknown as VerifiableCredential;
  }

  async verifyCredential(args: IVerifyCredentialArgs, anyContext: AnyContext): Promise<IVerifyResult> {
    const context = anyContext as Context;
    try {
      const compact = this.compactOf(args.credential);
      const { header, payload } = decodeJwt(compact);
      const jwk = await assertionKey(String(payload['issuer']), String(header['kid']), context);
      algForJwk(jwk);
      await verifyJwt(compact, { expectedTyp: TYP_VC_JWT, key: jwk });
      return { verified: true };
    } catch (e) {
      return { verified: false, error: { message: (e as Error).message, errorCode: (e as MaskidError).code ?? 'ERR_INTERNAL' } };
    }
  }
}
