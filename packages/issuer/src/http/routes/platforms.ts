/**
 * `GET /platforms`: the signed platform registry (`vc+jwt`): a `version` that only grows, a short
 * validity, and each platform's id, verified name, origins, allowed claims and manifest URL. Wallets
 * map a page's origin to a platform through it. Re-signed when it changes, when the signing key
 * changes, and when half its validity has passed; revalidated on every use.
 */
import type { Router } from 'express';
import { PLATFORM_REGISTRY_PATH, PLATFORM_REGISTRY_TYPE, REGISTRY_VALIDITY_SECONDS, VC_CONTEXT_V2, contextUrlFor, manifestUrl } from '@maskid/core';
import { PlatformService } from '../../services/platforms.js';
import type { IssuerHttpContext } from '../context.js';
import { CACHE_REVALIDATE, conditional } from './static-files.js';

export { PLATFORM_REGISTRY_TYPE };

export function platformsRoute(router: Router, ctx: IssuerHttpContext): void {
  let cache: { key: string; at: number; jwt: string } | undefined;
  router.get(PLATFORM_REGISTRY_PATH, async (req, res) => {
    const s = await ctx.issuer.settings();
    const version = Number((await ctx.issuer.getMeta('registry_version')) ?? '0') || 1;
    const now = Date.now();
    const key = `${s.kid}|${version}`;
    if (cache?.key !== key || now - cache.at > (REGISTRY_VALIDITY_SECONDS * 1000) / 2) {
      const platforms = (await new PlatformService(ctx.issuer).list()).map((p) => ({
        id: p.id,
        name: p.name,
        origins: p.origins,
        claims: p.claims,
        manifest: manifestUrl(s.url, p.id),
      }));
      const credential = {
        '@context': [VC_CONTEXT_V2, contextUrlFor(s.did)],
        id: `${s.url}${PLATFORM_REGISTRY_PATH}`,
        type: ['VerifiableCredential', PLATFORM_REGISTRY_TYPE],
        issuer: s.did,
        validFrom: new Date(now).toISOString(),
        validUntil: new Date(now + REGISTRY_VALIDITY_SECONDS * 1000).toISOString(),
        credentialSubject: { id: `${s.url}${PLATFORM_REGISTRY_PATH}`, version, platforms },
      };
      const vc = (await ctx.issuer.agent.createVerifiableCredential({ credential: credential as never, proofFormat: 'vc+jwt' as never, keyRef: s.kid })) as unknown as {
        id: string;
      };
      cache = { key, at: now, jwt: vc.id.slice('data:application/vc+jwt,'.length) };
    }
    conditional(req, res, cache.jwt, 'application/vc+jwt', CACHE_REVALIDATE);
  });
}
