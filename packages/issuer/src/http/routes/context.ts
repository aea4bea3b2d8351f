/**
 * `GET /contexts/v2`: the maskid JSON-LD context of this issuer — the exact bytes whose digest every
 * credential names (`relatedResource`), immutable (a new version gets a new path); verifiers bundle it
 * and never fetch it per login. `GET /vocab/v2`: what the vocabulary terms mean.
 */
import type { Router } from 'express';
import { DISCLOSABLE_CLAIMS, MASKID_CONTEXT_PATH, MASKID_VOCAB_PATH, maskidContext, vocabularyFor } from '@maskid/core';
import type { IssuerHttpContext } from '../context.js';
import { CACHE_IMMUTABLE } from './static-files.js';

export function contextRoute(router: Router, ctx: IssuerHttpContext): void {
  router.get(MASKID_CONTEXT_PATH, async (_req, res) => {
    const { text } = await maskidContext((await ctx.issuer.settings()).did);
    res.set('Cache-Control', CACHE_IMMUTABLE).type('application/ld+json').send(text);
  });
  router.get(MASKID_VOCAB_PATH, async (_req, res) => {
    const v = vocabularyFor((await ctx.issuer.settings()).did);
    const terms = [
      'InternetIdCredential',
      'PlatformRegistryCredential',
      'maskedId',
      'platform',
      'region',
      'ageOver14',
      'ageOver16',
      'ageOver18',
      'realNameVerified',
      'epoch',
      'registryVersion',
      'platforms',
    ];
    res.set('Cache-Control', CACHE_IMMUTABLE).json({
      vocabulary: v,
      terms: Object.fromEntries(terms.map((t) => [t, `${v}${t}`])),
      disclosableClaims: DISCLOSABLE_CLAIMS,
      documentation: 'maskid Internet ID vocabulary: see the project documentation (docs/design.md)',
    });
  });
}
