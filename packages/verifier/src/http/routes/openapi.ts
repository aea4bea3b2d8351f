/** `GET /openapi.json`: the service description. */
import type { Router } from 'express';
import { OPENAPI } from '../openapi.js';

/** Registers `GET /openapi.json`. */
export function openapiRoute(router: Router): void {
  const body = JSON.stringify(OPENAPI);
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').set('Cache-Control', 'public, max-age=3600').send(body);
  });
}
