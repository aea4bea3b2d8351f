/** RFC 9457 problem details with the stable maskid `code`. */
import type { Response } from 'express';
import type { ErrorCode } from '@maskid/core';

/** HTTP status for each code the verifier returns. */
export function statusFor(code: ErrorCode): number {
  switch (code) {
    case 'ERR_INPUT_INVALID': case 'ERR_SDJWT_MALFORMED': case 'ERR_JWT_MALFORMED': case 'ERR_DISCLOSURE_MALFORMED': case 'ERR_DCQL_INVALID':
      return 400;
    case 'ERR_TOKEN_TOO_LARGE':
      return 413;
    case 'ERR_CLAIM_NOT_ALLOWED':
      return 403;
    case 'ERR_STATUS_UNAVAILABLE':
      return 503;
    case 'ERR_INTERNAL':
      return 500;
    default:
      return 401;
  }
}

/** The problem document's JSON text. */
export function problemBody(code: ErrorCode, detail: string, status: number): string {
  return JSON.stringify({ type: `urn:maskid:error:${code}`, title: code, status, detail, code });
}

export function sendProblem(res: Response, code: ErrorCode, detail: string, status = statusFor(code)): void {
  res.status(status).type('application/problem+json').set('Cache-Control', 'no-store').send(problemBody(code, detail, status));
}
