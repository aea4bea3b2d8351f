/** Error responses: OAuth-style bodies for the OpenID4VCI endpoints, RFC 9457 problems elsewhere. */
import type { ErrorRequestHandler, Response } from 'express';
import { ALLOWED_ALGS, MaskidError, PROBLEM_CONTENT_TYPE, httpStatusFor, problemDetails, type ErrorCode } from '@maskid/core';
import { OAuthError } from '../services/openid4vci.js';

export function sendOAuthError(res: Response, e: OAuthError): void {
  res.status(e.status).set('Cache-Control', 'no-store');
  if (e.status === 401) res.set('WWW-Authenticate', `DPoP error="${e.error}", algs="${ALLOWED_ALGS.join(' ')}"`);
  res.json({ ...e.members, error: e.error, error_description: e.description });
}

/** An RFC 9457 problem (`@maskid/core`'s body and status table). */
export function sendProblem(res: Response, status: number, code: ErrorCode, detail: string): void {
  res
    .status(status)
    .type(PROBLEM_CONTENT_TYPE)
    .json(problemDetails(code, detail, status));
}

/** The last handler: known errors get their status; anything else is a 500 without internals. */
export const errorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  if (err instanceof OAuthError) return sendOAuthError(res, err);
  if (err instanceof MaskidError) return sendProblem(res, httpStatusFor(err.code), err.code, err.message);
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
  if (status === 413) return sendProblem(res, 413, 'ERR_TOKEN_TOO_LARGE', 'request body too large');
  if (status < 500) return sendProblem(res, status, 'ERR_INPUT_INVALID', 'the request is malformed');
  return sendProblem(res, 500, 'ERR_INTERNAL', 'internal error');
};
