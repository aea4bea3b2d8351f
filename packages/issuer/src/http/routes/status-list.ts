/**
 * `GET /status/:platform/<purpose>-<n>`: the latest version of a BitstringStatusListCredential
 * (`vc+jwt`; revalidated on every use), and `GET /status/:platform/<purpose>-<n>.e<epoch>`: one
 * version, immutable (`max-age=31536000, immutable`), as the manifest names it. Whole and
 * unauthenticated.
 */
import type { Router } from 'express';
import { PLATFORM_ID_PATTERN, type StatusPurpose } from '@maskid/core';
import type { IssuerHttpContext } from '../context.js';
import { sendProblem } from '../errors.js';
import { CACHE_IMMUTABLE, CACHE_REVALIDATE, conditional } from './static-files.js';

const LIST = /^(revocation|suspension)-(\d{1,7})(?:\.e(\d{1,10}))?$/;

export function statusListRoute(router: Router, ctx: IssuerHttpContext): void {
  router.get('/status/:platform/:list', async (req, res) => {
    const id = String(req.params['platform']);
    const match = LIST.exec(String(req.params['list']));
    const platform = PLATFORM_ID_PATTERN.test(id) && match ? await ctx.platform(id) : undefined;
    const epoch = match?.[3] === undefined ? undefined : Number(match[3]);
    const version = platform && match ? await ctx.status.listVersion(platform, match[1] as StatusPurpose, Number(match[2]), epoch) : undefined;
    if (!version) return sendProblem(res, 404, 'ERR_NOT_FOUND', 'no such status list version');
    conditional(req, res, version.jwt, 'application/vc+jwt', epoch === undefined ? CACHE_REVALIDATE : CACHE_IMMUTABLE);
  });
}
