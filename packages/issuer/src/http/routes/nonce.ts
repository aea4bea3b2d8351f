/** `POST /nonce`: a fresh `c_nonce` (OpenID4VCI 1.0 §7), never cached. */
import type { Router } from 'express';
import type { IssuerHttpContext } from '../context.js';

export function nonceRoute(router: Router, ctx: IssuerHttpContext): void {
  router.post('/nonce', async (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ c_nonce: await ctx.oid4vci.nonce() });
  });
}
