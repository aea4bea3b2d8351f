/** `POST /v1/requests` {claims} → {requestId, expiresAt, request}: a DC API request with a fresh nonce. */
import express, { type Router } from 'express';
import { MaskidError } from '@maskid/core';
import type { VerifierService } from '../../service.js';
import { sendOverloaded, sendProblem } from '../problem.js';

/** Registers `POST /v1/requests`. */
export function requestsRoute(router: Router, service: VerifierService): void {
  router.post(
    '/v1/requests',
    (req, res, next) => {
      if (!service.shedder.overloaded) return next();
      req.resume();
      service.metrics.shed.inc({ route: 'requests' });
      sendOverloaded(res);
    },
    express.json({ limit: '2kb' }),
    async (req, res) => {
      try {
        const body = req.body as { claims?: unknown; format?: unknown } | undefined;
        const r = await service.engine.createRequest(body?.claims, body?.format ?? undefined);
        res.status(201).set('Cache-Control', 'no-store').json(r);
      } catch (e) {
        if (e instanceof MaskidError) return sendProblem(res, e.code, e.message, e.code === 'ERR_CLAIM_NOT_ALLOWED' || e.code === 'ERR_INPUT_INVALID' ? 400 : undefined);
        throw e;
      }
    },
  );
}
