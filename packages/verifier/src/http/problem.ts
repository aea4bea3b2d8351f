/** RFC 9457 problem details with the stable maskid `code`. */
import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '@maskid/core';

/** HTTP status for each code the verifier returns. */
export function statusFor(code: ErrorCode): number {
  switch (code) {
    case 'ERR_INPUT_INVALID':
    case 'ERR_SDJWT_MALFORMED':
    case 'ERR_JWT_MALFORMED':
    case 'ERR_DISCLOSURE_MALFORMED':
    case 'ERR_DCQL_INVALID':
      return 400;
    case 'ERR_TOKEN_TOO_LARGE':
      return 413;
    case 'ERR_CLAIM_NOT_ALLOWED':
      return 403;
    case 'ERR_STATUS_UNAVAILABLE':
    case 'ERR_OVERLOADED':
      return 503;
    case 'ERR_INTERNAL':
      return 500;
    default:
      return 401;
  }
}

const PROBLEM_HEADERS = { 'Content-Type': 'application/problem+json; charset=utf-8', 'Cache-Control': 'no-store' } as const;

/** Writes a whole response with fixed headers and its Content-Length (plain node:http; express's `res` is one too). */
export function sendWhole(res: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Sends an RFC 9457 problem with the stable maskid `code`. */
export function sendProblem(res: ServerResponse, code: ErrorCode, detail: string, status = statusFor(code), headers?: Readonly<Record<string, string>>): void {
  sendWhole(res, status, headers ? { ...PROBLEM_HEADERS, ...headers } : PROBLEM_HEADERS, JSON.stringify({ type: `urn:maskid:error:${code}`, title: code, status, detail, code }));
}

/** Refuses a request because the service is overloaded: 503, `Retry-After: 1`, nothing consumed. */
export function sendOverloaded(res: ServerResponse): void {
  sendProblem(res, 'ERR_OVERLOADED', 'the verifier is overloaded; nothing was consumed, retry shortly', 503, { 'Retry-After': '1' });
}
