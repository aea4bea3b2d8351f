/** `GET /healthz`: 200 when keys and a current status manifest (and every list it names) are held, 503 when verification fails closed. */
import type { Router } from 'express';
import type { VerifierService } from '../../service.js';

/** Registers `GET /healthz`. */
export function healthzRoute(router: Router, service: VerifierService): void {
  router.get('/healthz', (_req, res) => {
    const h = service.health();
    res
      .status(h.status === 'ok' ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json(h);
  });
}
