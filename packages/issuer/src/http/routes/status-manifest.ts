/**
 * `GET /status/:platform/manifest`: the platform's signed manifest of the current epoch (whole, no
 * auth), `Cache-Control: no-cache` with an ETag: a cache may keep it but must revalidate each time.
 */
import type { Router } from 'express';
import { PLATFORM_ID_PATTERN } from '@maskid/core';
import type { IssuerHttpContext } from '../context.js';
import { sendProblem } from '../errors.js';
import { CACHE_REVALIDATE, conditional } from './static-files.js';

export function statusManifestRoute(router: Router, ctx: IssuerHttpContext): void {
  router.get('/status/:platform/manifest', async (req, res) => {
    const id = String(req.params['platform']);
    const platform = PLATFORM_ID_PATTERN.test(id) ? await ctx.platform(id) : undefined;
    const manifest = platform ? await ctx.status.manifest(platform) : undefined;
    if (!manifest) return sendProblem(res, 404, 'ERR_NOT_FOUND', 'no manifest published for this platform (the issuer publishes one every epoch)');
    conditional(req, res, manifest.jwt, 'application/jwt', CACHE_REVALIDATE);
  });
}
