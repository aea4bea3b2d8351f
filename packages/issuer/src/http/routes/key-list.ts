/**
 * `GET /keys`: the key list signed by the issuer's offline root key (`maskid-key-list+jwt`): the only
 * source of assertion keys for verifiers and wallets configured with the root's thumbprint.
 */
import type { Router } from 'express';
import { KEY_LIST_PATH } from '@maskid/core';
import { KeyService } from '../../services/keys.js';
import type { IssuerHttpContext } from '../context.js';
import { sendProblem } from '../errors.js';
import { CACHE_REVALIDATE, conditional } from './static-files.js';

export function keyListRoute(router: Router, ctx: IssuerHttpContext): void {
  const keys = new KeyService(ctx.issuer);
  router.get(KEY_LIST_PATH, async (req, res) => {
    const jwt = await keys.keyList();
    if (!jwt) return sendProblem(res, 404, 'ERR_NOT_FOUND', 'no key list (run `maskid-issuer init`)');
    conditional(req, res, jwt, 'application/jwt', CACHE_REVALIDATE);
  });
}
