/**
 * `POST /credential`: one credential per request, for one platform's `credential_identifier`, bound to
 * the fresh key of the request's single `jwt` proof. Needs a DPoP-bound access token.
 */
import express, { type Router } from 'express';
import { parseJsonStrict } from '@maskid/core';
import type { IssuerHttpContext } from '../context.js';
import { OAuthError } from '../../services/openid4vci.js';

export function credentialRoute(router: Router, ctx: IssuerHttpContext): void {
  // The largest legitimate request: an identifier and one ES256/EdDSA proof JWT (< 1 KB).
  router.post('/credential', express.text({ type: ['application/json', 'application/*+json'], limit: '8kb' }), async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (typeof req.body !== 'string') throw new OAuthError(400, 'invalid_credential_request', 'the body must be application/json');
    let body: unknown;
    try {
      body = parseJsonStrict(req.body, 'the credential request');
    } catch (e) {
      throw new OAuthError(400, 'invalid_credential_request', (e as Error).message);
    }
    const auth = req.get('Authorization') ?? '';
    const match = /^DPoP ([A-Za-z0-9_-]{20,200})$/.exec(auth);
    if (!match) throw new OAuthError(401, 'invalid_token', 'Authorization: DPoP <access token> is required');
    const { url } = await ctx.issuer.settings();
    const dpop = await ctx.oid4vci.checkDpop(req.get('DPoP'), 'POST', `${url}/credential`, match[1]);
    res.json(await ctx.oid4vci.credential(match[1], dpop, body));
  });
}
