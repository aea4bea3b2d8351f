/**
 * `GET /.well-known/openid-credential-issuer`: OpenID4VCI 1.0 §12.2 Credential Issuer metadata. One
 * credential configuration per registered platform and form (`InternetIdCredential.<platform id>` for the
 * `vc+sd-jwt` form, `InternetIdCredential.<platform id>.vcld` for the SD-JWT VCLD `dc+sd-jwt` form: what a
 * standard client requests by `credential_configuration_id`) and maskid's wallet configurations
 * (`InternetIdCredential` and `InternetIdCredentialVCLD`, named in `authorization_details` for one
 * `credential_identifier` per platform in that form).
 */
import type { Router } from 'express';
import {
  VCLD_CONFIGURATION_ID,
  ALLOWED_ALGS,
  CREDENTIAL_CONFIGURATION_ID,
  CREDENTIAL_TYPES,
  DISCLOSABLE_CLAIMS,
  FORMAT_DC_SD_JWT,
  FORMAT_ID,
  VCLD_SUBJECT_PATH,
  platformConfigurationId,
  vctFor,
} from '@maskid/core';
import type { IssuerHttpContext } from '../context.js';
import { PlatformService } from '../../services/platforms.js';
import { BATCH_CREDENTIAL_PATH } from './credential.js';
import { conditional } from './static-files.js';

export function credentialIssuerMetadataRoute(router: Router, ctx: IssuerHttpContext): void {
  router.get('/.well-known/openid-credential-issuer', async (req, res) => {
    const { url } = await ctx.issuer.settings();
    const platforms = await new PlatformService(ctx.issuer).list();
    // Two forms per platform (the VCDM form and the SD-JWT VCLD form, §A.3); within a form the
    // configurations differ in their display name only.
    const common = {
      credential_signing_alg_values_supported: [...ALLOWED_ALGS],
      cryptographic_binding_methods_supported: ['jwk'],
      proof_types_supported: { jwt: { proof_signing_alg_values_supported: [...ALLOWED_ALGS] } },
    };
    const configuration = (name: string) => ({
      format: FORMAT_ID,
      ...common,
      credential_definition: { type: [...CREDENTIAL_TYPES] },
      credential_metadata: { display: [{ name, locale: 'en' }], claims: DISCLOSABLE_CLAIMS.map((c) => ({ path: ['credentialSubject', c] })) },
    });
    const vcld = (name: string) => ({
      format: FORMAT_DC_SD_JWT,
      vct: vctFor(url),
      ...common,
      credential_metadata: { display: [{ name, locale: 'en' }], claims: DISCLOSABLE_CLAIMS.map((c) => ({ path: [...VCLD_SUBJECT_PATH, c] })) },
    });
    const configurations: Record<string, unknown> = { [CREDENTIAL_CONFIGURATION_ID]: configuration('Internet ID'), [VCLD_CONFIGURATION_ID]: vcld('Internet ID (SD-JWT VC)') };
    for (const p of platforms) {
      configurations[platformConfigurationId(p.id)] = configuration(`Internet ID for ${p.name}`);
      configurations[platformConfigurationId(p.id, FORMAT_DC_SD_JWT)] = vcld(`Internet ID for ${p.name} (SD-JWT VC)`);
    }
    // ~1.8 KB per platform that compresses ~90×: GZIP and an ETag when asked (sizes at 400 platforms: docs/issuance.md).
    const metadata = {
      credential_issuer: url,
      credential_endpoint: `${url}/credential`,
      nonce_endpoint: `${url}/nonce`,
      // maskid extension (docs/issuance.md): many credential requests under one DPoP proof.
      maskid_batch_credential_endpoint: `${url}${BATCH_CREDENTIAL_PATH}`,
      display: [{ name: 'maskid Internet ID', locale: 'en' }],
      credential_configurations_supported: configurations,
    };
    conditional(req, res, JSON.stringify(metadata), 'application/json', 'public, max-age=300');
  });
}
