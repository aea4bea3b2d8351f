/**
 * `POST /v1/presentations` {requestId, origin, vp_token} → 200 {maskedId, claims, issuer, platform}
 * or an RFC 9457 problem with the stable `code`. `vp_token` is the DC API response's
 * `{ "internet_id": ["<sd-jwt>~…~<kb-jwt>"] }` (or that string).
 */
import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { VerifierService } from '../../service.js';
import { MAX_PRESENTATION_LENGTH } from '../../engine.js';
import { sendProblem } from '../problem.js';

export function presentationsRoute(router: Router, service: VerifierService, log: Logger): void {
  router.post('/v1/presentations', express.json({ limit: MAX_PRESENTATION_LENGTH + 2048 }), async (req, res) => {
    const body = req.body as { requestId?: unknown; origin?: unknown; vp_token?: unknown } | undefined;
    if (!body || typeof body.requestId !== 'string') return sendProblem(res, 'ERR_INPUT_INVALID', 'requestId is required', 400);
    if (body.origin !== undefined && typeof body.origin !== 'string') return sendProblem(res, 'ERR_INPUT_INVALID', 'origin must be a string', 400);
    const vp = body.vp_token;
    const token = typeof vp === 'string' ? vp
      : vp && typeof vp === 'object' && Array.isArray((vp as Record<string, unknown>)['internet_id']) && (vp as { internet_id: unknown[] }).internet_id.length === 1
        ? (vp as { internet_id: unknown[] }).internet_id[0] : undefined;
    if (typeof token !== 'string') return sendProblem(res, 'ERR_INPUT_INVALID', 'vp_token must be { "internet_id": ["<presentation>"] }', 400);
    const started = performance.now();
    const r = await service.verify(token, { requestId: body.requestId, ...(typeof body.origin === 'string' ? { origin: body.origin } : {}) });
    log.info({ result: r.verified ? 'ok' : r.error.code, ms: Number((performance.now() - started).toFixed(2)) }, 'verification');
    if (!r.verified) return sendProblem(res, r.error.code, r.error.message);
    res.set('Cache-Control', 'no-store').json({ maskedId: r.maskedId, claims: r.claims, issuer: r.issuer, platform: r.platform });
  });
}
