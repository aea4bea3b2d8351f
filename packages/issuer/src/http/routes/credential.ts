/**
 * `POST /credential`: one credential per request, for one platform's `credential_identifier`, bound to
 * the fresh key of the request's single `jwt` proof. Needs a DPoP-bound access token.
 * `POST /batch-credential` (maskid extension, named in the metadata as `maskid_batch_credential_endpoint`):
 * many such requests under one access token and one DPoP proof.
 */
import express, { type Router } from 'express';
import { parseJsonStrict } from '@maskid/core';
import type { IssuerHttpContext } from '../context.js';
import { OAuthError, MAX_BATCH_REQUESTS, type DpopProof } from '../../services/openid4vci.js';

/** The batch extension's path under the issuer URL. */
export const BATCH_CREDENTIAL_PATH = '/batch-credential';

export function credentialRoute(router: Router, ctx: IssuerHttpContext): void {
  const endpoint = (path: string, limit: string, handle: (token: string, dpop: DpopProof, body: unknown) => Promise<Record<string, unknown>>) =>
    router.post(path, express.text({ type: ['application/json', 'application/*+json'], limit }), async (req, res) => {
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
      const dpop = await ctx.oid4vci.checkDpop(req.get('DPoP'), 'POST', `${url}${path}`, match[1]);
      res.json(await handle(match[1]!, dpop, body));
    });
  // The largest legitimate request: an identifier and one ES256/EdDSA proof JWT (< 1 KB).
  endpoint('/credential', '8kb', (token, dpop, body) => ctx.oid4vci.credential(token, dpop, body));
  // A batch: up to MAX_BATCH_REQUESTS such requests (< 1 KB each).
  endpoint(BATCH_CREDENTIAL_PATH, `${MAX_BATCH_REQUESTS}kb`, (token, dpop, body) => ctx.oid4vci.batchCredential(token, dpop, body));
}
