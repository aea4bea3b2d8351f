/** `GET /contexts/v1`: the maskid JSON-LD context (verifiers use the bundled copy). */
import type { Router } from 'express';
import { MASKID_CONTEXT_DOCUMENT } from '@maskid/core';

export function contextRoute(router: Router): void {
  const body = JSON.stringify(MASKID_CONTEXT_DOCUMENT);
  router.get('/contexts/v1', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400').type('application/ld+json').send(body);
  });
}
