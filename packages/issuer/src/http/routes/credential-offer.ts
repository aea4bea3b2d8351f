/**
 * `GET /credential-offer/<reference>`: an offer passed by reference (OpenID4VCI 1.0 §4.1.3,
 * `credential_offer_uri`), while its pre-authorized code is unused and unexpired. It holds that code,
 * so it is never cached.
 */
import type { Router } from 'express';
import { CREDENTIAL_OFFER_PATH } from '@maskid/core';
import type { IssuerHttpContext } from '../context.js';

export function credentialOfferRoute(router: Router, ctx: IssuerHttpContext): void {
  router.get(`${CREDENTIAL_OFFER_PATH}/:reference`, async (req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json(await ctx.oid4vci.offerByReference(String(req.params['reference'])));
  });
}
