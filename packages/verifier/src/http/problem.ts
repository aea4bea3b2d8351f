/** RFC 9457 problem details with the stable maskid `code`. */
import type { ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, httpStatusFor, problemDetails, type ErrorCode } from '@maskid/core';

/** HTTP status for each code the verifier returns (`@maskid/core`'s one table for every maskid surface). */
export const statusFor: (code: ErrorCode) => number = httpStatusFor;

const PROBLEM_HEADERS = { 'Content-Type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`, 'Cache-Control': 'no-store' } as const;

/** Writes a whole response with fixed headers and its Content-Length (plain node:http; express's `res` is one too). */
export function sendWhole(res: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  res.writeHead(status, { ...headers, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Sends an RFC 9457 problem with the stable maskid `code`. */
export function sendProblem(res: ServerResponse, code: ErrorCode, detail: string, status = statusFor(code), headers?: Readonly<Record<string, string>>): void {
  sendWhole(res, status, headers ? { ...PROBLEM_HEADERS, ...headers } : PROBLEM_HEADERS, JSON.stringify(problemDetails(code, detail, status)));
}

/** Refuses a request because the service is overloaded: 503, `Retry-After: 1`, nothing consumed. */
export function sendOverloaded(res: ServerResponse): void {
  sendProblem(res, 'ERR_OVERLOADED', 'the verifier is overloaded; nothing was consumed, retry shortly', 503, { 'Retry-After': '1' });
}
