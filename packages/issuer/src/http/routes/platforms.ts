/**
 * `GET /platforms`: the signed platform registry (`vc+jwt`): each platform's id, verified name,
 * origins, allowed claims and manifest URL. Wallets map a page's origin to a platform through it.
 */
import type { Router } from 'express';
import { createHash } from 'node:crypto';
import { VC_CONTEXT_V2 } from '@maskid/core';
import { PlatformService } from '../../services/platforms.js';
import { manifestUrl } from '../../services/status.js';
import type { IssuerHttpContext } from '../context.js';
import { conditional } from './static-files.js';

export const PLATFORM_REGISTRY_TYPE = 'PlatformRegistryCredential';

export function platformsRoute(router: Router, ctx: IssuerHttpContext): void {
  let cache: { key: string; jwt: string } | undefined;
  router.get('/platforms', async (req, res) => {
    const s = await ctx.issuer.settings();
    const platforms = (await new PlatformService(ctx.issuer).list()).map((p) => ({
      id: p.id, name: p.name, origins: p.origins, claims: p.claims, manifest: manifestUrl(s.url, p.id),
    }));
    const key = createHash('sha256').update(JSON.stringify([s.kid, platforms])).digest('hex');
    if (cache?.key !== key) {
      const now = new Date();
      const credential = {
        '@context': [VC_CONTEXT_V2],
        id: `${s.url}/platforms`,
        type: ['VerifiableCredential', PLATFORM_REGISTRY_TYPE],
        issuer: s.did,
        validFrom: now.toISOString(),
        validUntil: new Date(now.getTime() + s.listValidityMs).toISOString(),
        credentialSubject: { id: `${s.url}/platforms`, platforms },
      };
      const vc = (await ctx.issuer.agent.createVerifiableCredential({ credential: credential as never, proofFormat: 'vc+jwt' as never, keyRef: s.kid })) as unknown as { id: string };
      cache = { key, jwt: vc.id.slice('data:application/vc+jwt,'.length) };
    }
    conditional(req, res, cache.jwt, 'application/vc+jwt', Math.floor(s.ttlMs / 1000));
  });
}
