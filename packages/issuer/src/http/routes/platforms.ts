/**
 * `GET /platforms`: the signed platform registry (`PlatformService.signedRegistry`). Wallets map a
 * page's origin to a platform through it. Re-signed when it changes, when the signing key changes, and
 * when half its validity has passed; revalidated on every use.
 */
import type { Router } from 'express';
import { PLATFORM_REGISTRY_PATH, PLATFORM_REGISTRY_TYPE, REGISTRY_VALIDITY_SECONDS } from '@maskid/core';
import { PlatformService } from '../../services/platforms.js';
import type { IssuerHttpContext } from '../context.js';
import { CACHE_REVALIDATE, conditional } from './static-files.js';

export { PLATFORM_REGISTRY_TYPE };

export function platformsRoute(router: Router, ctx: IssuerHttpContext): void {
  const platforms = new PlatformService(ctx.issuer);
  let cache: { key: string; at: number; jwt: string } | undefined;
  router.get(PLATFORM_REGISTRY_PATH, async (req, res) => {
    const s = await ctx.issuer.settings();
    const now = Date.now();
    const key = `${s.kid}|${await platforms.registryVersion()}`;
    if (cache?.key !== key || now - cache.at > (REGISTRY_VALIDITY_SECONDS * 1000) / 2) cache = { key, at: now, jwt: (await platforms.signedRegistry(now)).jwt };
    conditional(req, res, cache.jwt, 'application/vc+jwt', CACHE_REVALIDATE);
  });
}
