/**
 * Typed issuing through the agent: `createVerifiableCredential` with the maskid proof formats, without
 * casts at the call sites. The agent stays the one issuing surface (its credential providers sign
 * through the key manager's node:crypto KMS).
 */
import { ENVELOPED_SD_JWT_PREFIX, ENVELOPED_VC_JWT_PREFIX, unwrapEnvelope, type EnvelopedVerifiableCredential } from '@maskid/core';
import type { ICredentialPlugin, TAgent } from '@veramo/core-types';
import { PROOF_FORMAT_SD_JWT, PROOF_FORMAT_VC_JWT } from './credential-providers.js';

/** A VCDM 2.0 credential as the issuer builds it (issuer is a DID string). */
export interface VcdmCredential {
  '@context': readonly string[];
  type: readonly string[];
  issuer: string;
}

type CredentialAgent = TAgent<ICredentialPlugin>;

/**
 * Signs a credential as `vc+jwt` (VC-JOSE-COSE) with the issuer key `keyRef`; returns the compact JWS.
 *
 * @example
 * ```ts
 * const jwt = await signVcJwt(issuer.agent, { '@context': [VC_CONTEXT_V2], type: ['VerifiableCredential'], issuer: did }, kid)
 * ```
 */
export async function signVcJwt<C extends VcdmCredential>(agent: CredentialAgent, credential: C, keyRef: string): Promise<string> {
  const vc = (await agent.createVerifiableCredential({ credential: credential as never, proofFormat: PROOF_FORMAT_VC_JWT, keyRef })) as unknown as { id?: unknown };
  if (typeof vc.id !== 'string' || !vc.id.startsWith(ENVELOPED_VC_JWT_PREFIX)) throw new Error('internal: the vc+jwt provider returned no enveloped credential');
  return vc.id.slice(ENVELOPED_VC_JWT_PREFIX.length);
}

/** Signs a profile credential as `vc+sd-jwt` with the issuer key `keyRef`; returns the envelope and the compact SD-JWT. */
export async function signSdJwt<C extends VcdmCredential>(
  agent: CredentialAgent,
  credential: C,
  keyRef: string,
): Promise<{ credential: EnvelopedVerifiableCredential; sdJwt: string }> {
  const vc = (await agent.createVerifiableCredential({ credential: credential as never, proofFormat: PROOF_FORMAT_SD_JWT, keyRef })) as unknown as EnvelopedVerifiableCredential;
  if (typeof vc.id !== 'string' || !vc.id.startsWith(ENVELOPED_SD_JWT_PREFIX)) throw new Error('internal: the vc+sd-jwt provider returned no enveloped credential');
  return { credential: vc, sdJwt: unwrapEnvelope(vc) };
}
