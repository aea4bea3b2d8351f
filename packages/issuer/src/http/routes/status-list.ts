/**
 * `GET /status/:platform/<purpose>-<n>`: the latest version of a BitstringStatusListCredential
 * (`vc+jwt`; revalidated on every use), and `GET /status/:platform/<purpose>-<n>.e<epoch>`: one
 * version, immutable (`max-age=31536000, immutable`), as the manifest names it. `GET
 * /status/:platform/token-<n>`: the IETF Token Status List of the same number (`statuslist+jwt`, the
 * SD-JWT VCLD form's status), signed when first asked for after its lists changed. Whole and
 * unauthenticated.
 */
import type { Router } from 'express';
import { PLATFORM_ID_PATTERN, STATUS_LIST_JWT_MEDIA_TYPE, type StatusPurpose } from '@maskid/core';
import type { IssuerHttpContext } from '../context.js';
import { sendProblem } from '../errors.js';
import { CACHE_IMMUTABLE, CACHE_REVALIDATE, conditional } from './static-files.js';

const LIST = /^(revocation|suspension)-(\d{1,7})(?:\.e(\d{1,10}))?$/;

const TOKEN_LIST = /^token-(\d{1,7})$/;

export function statusListRoute(router: Router, ctx: IssuerHttpContext): void {
  router.get('/status/:platform/:list', async (req, res) => {
    const id = String(req.params['platform']);
    const token = TOKEN_LIST.exec(String(req.params['list']));
    if (token) {
      const platform = PLATFORM_ID_PATTERN.test(id) ? await ctx.platform(id) : undefined;
      const jwt = platform ? await ctx.status.tokenStatusList(platform, Number(token[1])) : undefined;
      if (!jwt) return sendProblem(res, 404, 'ERR_NOT_FOUND', 'no such token status list');
      return conditional(req, res, jwt, STATUS_LIST_JWT_MEDIA_TYPE, CACHE_REVALIDATE);
    }
    const match = LIST.exec(String(req.params['list']));
    const platform = PLATFORM_ID_PATTERN.test(id) && match ? await ctx.platform(id) : undefined;
    const epoch = match?.[3] === undefined ? undefined : Number(match[3]);
    const version = platform && match ? await ctx.status.listVersion(platform, match[1] as StatusPurpose, Number(match[2]), epoch) : undefined;
    if (!version) return sendProblem(res, 404, 'ERR_NOT_FOUND', 'no such status list version');
    conditional(req, res, version.jwt, 'application/vc+jwt', epoch === undefined ? CACHE_REVALIDATE : CACHE_IMMUTABLE);
  });
}
