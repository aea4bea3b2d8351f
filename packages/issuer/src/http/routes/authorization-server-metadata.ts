/** `GET /.well-known/oauth-authorization-server`: RFC 8414 metadata of the issuer's own AS. */
import type { Router } from 'express';
import { ALLOWED_ALGS, PRE_AUTHORIZED_GRANT } from '@maskid/core';
import type { IssuerHttpContext } from '../context.js';

export function authorizationServerMetadataRoute(router: Router, ctx: IssuerHttpContext): void {
  router.get('/.well-known/oauth-authorization-server', async (_req, res) => {
    const { url } = await ctx.issuer.settings();
    res.set('Cache-Control', 'public, max-age=300').json({
      issuer: url,
      token_endpoint: `${url}/token`,
      grant_types_supported: [PRE_AUTHORIZED_GRANT, 'refresh_token'],
      'pre-authorized_grant_anonymous_access_supported': true,
      token_endpoint_auth_methods_supported: ['none'],
      dpop_signing_alg_values_supported: [...ALLOWED_ALGS],
      authorization_details_types_supported: ['openid_credential'],
    });
  });
}
