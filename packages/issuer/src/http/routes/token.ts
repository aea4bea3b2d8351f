/** `POST /token`: pre-authorized code (+ tx_code) or refresh token → DPoP-bound tokens. Rate-limited. */
import express, { type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { IssuerHttpContext } from '../context.js';
import { OAuthError } from '../../services/openid4vci.js';

export function tokenRoute(router: Router, ctx: IssuerHttpContext, options: { perMinute: number }): void {
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: options.perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, res) => res.status(429).set('Cache-Control', 'no-store').json({ error: 'slow_down', error_description: 'too many token requests' }),
  });
  router.post('/token', limiter, express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 20 }), async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (!req.is('application/x-www-form-urlencoded')) throw new OAuthError(400, 'invalid_request', 'the token request must be application/x-www-form-urlencoded');
    const { url } = await ctx.issuer.settings();
    const dpop = await ctx.oid4vci.checkDpop(req.get('DPoP'), 'POST', `${url}/token`);
    res.json(await ctx.oid4vci.token(req.body ?? {}, dpop));
  });
}
