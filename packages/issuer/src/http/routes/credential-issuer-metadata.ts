/** `GET /.well-known/openid-credential-issuer`: OpenID4VCI 1.0 §12.2 Credential Issuer metadata. */
import type { Router } from 'express';
import { ALLOWED_ALGS, CREDENTIAL_CONFIGURATION_ID, CREDENTIAL_TYPES, DISCLOSABLE_CLAIMS, FORMAT_ID } from '@maskid/core';
import type { IssuerHttpContext } from '../context.js';
import { BATCH_CREDENTIAL_PATH } from './credential.js';

export function credentialIssuerMetadataRoute(router: Router, ctx: IssuerHttpContext): void {
  router.get('/.well-known/openid-credential-issuer', async (_req, res) => {
    const { url } = await ctx.issuer.settings();
    res.set('Cache-Control', 'public, max-age=300').json({
      credential_issuer: url,
      credential_endpoint: `${url}/credential`,
      nonce_endpoint: `${url}/nonce`,
      // maskid extension (docs/openid4vci.md): many credential requests under one DPoP proof.
      maskid_batch_credential_endpoint: `${url}${BATCH_CREDENTIAL_PATH}`,
      display: [{ name: 'maskid Internet ID', locale: 'en' }],
      credential_configurations_supported: {
        [CREDENTIAL_CONFIGURATION_ID]: {
          format: FORMAT_ID,
          credential_signing_alg_values_supported: [...ALLOWED_ALGS],
          cryptographic_binding_methods_supported: ['jwk'],
          proof_types_supported: { jwt: { proof_signing_alg_values_supported: [...ALLOWED_ALGS] } },
          credential_definition: { type: [...CREDENTIAL_TYPES] },
          credential_metadata: {
            display: [{ name: 'Internet ID', locale: 'en' }],
            claims: DISCLOSABLE_CLAIMS.map((c) => ({ path: ['credentialSubject', c] })),
          },
        },
      },
    });
  });
}
