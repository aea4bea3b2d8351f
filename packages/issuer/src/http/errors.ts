/** Error responses: OAuth-style bodies for the OpenID4VCI endpoints, RFC 9457 problems elsewhere. */
import type { ErrorRequestHandler, Response } from 'express';
import { MaskidError } from '@maskid/core';
import { OAuthError } from '../services/openid4vci.js';

const STATUS: Partial<Record<string, number>> = {
  ERR_NOT_FOUND: 404,
  ERR_INPUT_INVALID: 400,
  ERR_TOKEN_TOO_LARGE: 413,
  ERR_STATE_INVALID: 409,
  ERR_CONFLICT: 409,
};

export function sendOAuthError(res: Response, e: OAuthError): void {
  res.status(e.status).set('Cache-Control', 'no-store');
  if (e.status === 401) res.set('WWW-Authenticate', `DPoP error="${e.error}", algs="ES256 EdDSA"`);
  res.json({ error: e.error, error_description: e.description });
}

export function sendProblem(res: Response, status: number, code: string, detail: string): void {
  res
    .status(status)
    .type('application/problem+json')
    .json({ type: `urn:maskid:error:${code}`, title: code, status, detail, code });
}

/** The last handler: known errors get their status; anything else is a 500 without internals. */
export const errorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  if (err instanceof OAuthError) return sendOAuthError(res, err);
  if (err instanceof MaskidError) return sendProblem(res, STATUS[err.code] ?? 400, err.code, err.message);
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
  if (status === 413) return sendProblem(res, 413, 'ERR_TOKEN_TOO_LARGE', 'request body too large');
  if (status < 500) return sendProblem(res, status, 'ERR_INPUT_INVALID', 'the request is malformed');
  return sendProblem(res, 500, 'ERR_INTERNAL', 'internal error');
};
