/**
 * `POST /token`: pre-authorized code (+ tx_code) or refresh token → DPoP-bound tokens. Rate-limited
 * per grant (the refresh token or pre-authorized code, so one client cannot use up another's quota)
 * and, more generously, per client address (`trust proxy` decides which address that is behind a
 * load balancer).
 */
import { createHash } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { IssuerHttpContext } from '../context.js';
import { OAuthError } from '../../services/openid4vci.js';

function limiter(perMinute: number, key: (req: Request) => string) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: key,
    handler: (_req, res) => res.status(429).set('Cache-Control', 'no-store').json({ error: 'slow_down', error_description: 'too many token requests' }),
  });
}

/** The grant a token request spends (hashed), or the client address when it names none. */
function grantKey(req: Request): string {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const grant = body['refresh_token'] ?? body['pre-authorized_code'];
  if (typeof grant === 'string' && grant.length > 0) return `grant:${createHash('sha256').update(grant).digest('base64url')}`;
  return `client:${ipKeyGenerator(req.ip ?? '')}`;
}

export function tokenRoute(router: Router, ctx: IssuerHttpContext, options: { perGrantPerMinute: number; perClientPerMinute: number }): void {
  router.post(
    '/token',
    limiter(options.perClientPerMinute, (req) => ipKeyGenerator(req.ip ?? '')),
    express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 20 }),
    limiter(options.perGrantPerMinute, grantKey),
    async (req, res) => {
      res.set('Cache-Control', 'no-store');
      if (!req.is('application/x-www-form-urlencoded')) throw new OAuthError(400, 'invalid_request', 'the token request must be application/x-www-form-urlencoded');
      const { url } = await ctx.issuer.settings();
      // The proof's jti is written in the token's own transaction (one write per token request).
      const dpop = await ctx.oid4vci.checkDpop(req.get('DPoP'), 'POST', `${url}/token`, undefined, { deferReplayCheck: true });
      res.json(await ctx.oid4vci.token(req.body ?? {}, dpop));
    },
  );
}
