/**
 * `POST /v1/presentations` {requestId, origin, vp_token} → 200 {maskedId, claims, issuer, platform}
 * or an RFC 9457 problem with the stable `code`. `vp_token` is the DC API response's
 * `{ "internet_id": ["<sd-jwt>~…~<kb-jwt>"] }` (or that string).
 *
 * This is the hot path of the service, so it is a plain node:http handler placed before express's
 * router: a bounded body reader instead of body-parser, one `writeHead` with a fixed header set, no
 * per-request router matching. Everything else the app serves goes through express.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { VerifierService } from '../../service.js';
import { MAX_PRESENTATION_LENGTH } from '../../engine.js';
import { parseJsonStrict } from '@maskid/core';
import { sendOverloaded, sendProblem, sendWhole } from '../problem.js';

/** The hot route's path. */
export const PRESENTATIONS_PATH = '/v1/presentations';
const MAX_BODY = MAX_PRESENTATION_LENGTH + 2048;
const JSON_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' } as const;

/** Reads the whole body up to MAX_BODY bytes; undefined when it is larger (the rest is drained). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY) {
      req.resume();
      return resolve(undefined);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** Handles one `POST /v1/presentations`. */
export async function handlePresentation(req: IncomingMessage, res: ServerResponse, service: VerifierService, log: Logger): Promise<void> {
  if (service.shedder.overloaded) {
    req.resume();
    service.metrics.shed.inc({ route: 'presentations' });
    return sendOverloaded(res);
  }
  const type = req.headers['content-type'];
  if (!type || !/^application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i.test(type)) {
    req.resume();
    return sendProblem(res, 'ERR_INPUT_INVALID', 'the body must be application/json', 400);
  }
  const raw = await readBody(req);
  if (!raw) return sendProblem(res, 'ERR_TOKEN_TOO_LARGE', 'request body too large', 413);
  let body: { requestId?: unknown; origin?: unknown; vp_token?: unknown } | null;
  try {
    body = parseJsonStrict(raw.toString('utf8'), 'the request body') as typeof body;
  } catch {
    return sendProblem(res, 'ERR_INPUT_INVALID', 'the request body is not valid JSON (or names a member twice)', 400);
  }
  if (!body || typeof body !== 'object' || typeof body.requestId !== 'string') return sendProblem(res, 'ERR_INPUT_INVALID', 'requestId is required', 400);
  if (body.origin !== undefined && typeof body.origin !== 'string') return sendProblem(res, 'ERR_INPUT_INVALID', 'origin must be a string', 400);
  const vp = body.vp_token;
  const token =
    typeof vp === 'string'
      ? vp
      : vp && typeof vp === 'object' && Array.isArray((vp as Record<string, unknown>)['internet_id']) && (vp as { internet_id: unknown[] }).internet_id.length === 1
        ? (vp as { internet_id: unknown[] }).internet_id[0]
        : undefined;
  if (typeof token !== 'string') return sendProblem(res, 'ERR_INPUT_INVALID', 'vp_token must be { "internet_id": ["<presentation>"] }', 400);
  const started = performance.now();
  const r = await service.verify(token, { requestId: body.requestId, ...(typeof body.origin === 'string' ? { origin: body.origin } : {}) });
  if (log.isLevelEnabled('info')) log.info({ result: r.verified ? 'ok' : r.error.code, ms: Number((performance.now() - started).toFixed(2)) }, 'verification');
  if (!r.verified) return sendProblem(res, r.error.code, r.error.message);
  sendWhole(res, 200, JSON_HEADERS, JSON.stringify({ maskedId: r.maskedId, claims: r.claims, issuer: r.issuer, platform: r.platform }));
}
