/** `GET /metrics`: Prometheus text (verifications by result code, latency histogram, list age). */
import type { Router } from 'express';
import type { VerifierService } from '../../service.js';

/** Registers `GET /metrics` (Prometheus text format). */
export function metricsRoute(router: Router, service: VerifierService): void {
  router.get('/metrics', async (_req, res) => {
    res.type(service.metrics.registry.contentType).send(await service.metrics.registry.metrics());
  });
}
