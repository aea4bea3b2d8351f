/**
 * Typed `vc+jwt` signing through the agent (`createVerifiableCredential`, without casts at the call
 * sites): status lists and the platform registry. Profile credentials are issued through the agent's
 * `maskidIssueBatch` (batch-issuer.ts). Both sign through the key manager's node:crypto KMS.
 */
import { ENVELOPED_VC_JWT_PREFIX } from '@maskid/core';
import type { ICredentialPlugin, TAgent } from '@veramo/core-types';
import { PROOF_FORMAT_VC_JWT } from './credential-providers.js';

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
