/**
 * The verifier's HTTP service (express). Platforms call it from their backend; logs hold result codes
 * and timings, never tokens, claims or masked IDs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { pino, type Logger } from 'pino';
import type { VerifierService } from '../service.js';
import { sendProblem } from './problem.js';
import { requestsRoute } from './routes/requests.js';
import { handlePresentation, PRESENTATIONS_PATH } from './routes/presentations.js';
import { healthzRoute } from './routes/healthz.js';
import { metricsRoute } from './routes/metrics.js';
import { openapiRoute } from './routes/openapi.js';

/**
 * The node:http request listener `serve` uses: `POST /v1/presentations` goes straight to its lean
 * handler, everything else to the express app.
 *
 * @example
 * ```ts
 * createServer(createVerifierListener(service, { logLevel: 'warn' })).listen(8080)
 * ```
 */
export function createVerifierListener(service: VerifierService, options: VerifierAppOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const log = options.logger ?? defaultLogger(options.logLevel);
  const app = createVerifierApp(service, { logger: log });
  return (req, res) => {
    if (req.url === PRESENTATIONS_PATH && req.method === 'POST') hot(req, res, service, log);
    else app(req, res);
  };
}

function hot(req: IncomingMessage, res: ServerResponse, service: VerifierService, log: Logger): void {
  handlePresentation(req, res, service, log).catch((err: unknown) => {
    log.error({ err: (err as Error)?.name }, 'internal error');
    if (!res.headersSent) sendProblem(res, 'ERR_INTERNAL', 'internal error', 500);
  });
}

function defaultLogger(level = 'info'): Logger {
  return pino({ level }, pino.destination(2));
}

/** Options of {@link createVerifierApp} and {@link createVerifierListener}. */
export interface VerifierAppOptions {
  /** A pino logger (default: JSON lines on stderr at `logLevel`). */
  logger?: Logger;
  /** Level of the default logger (default `info`; `serve` takes it from `MASKID_LOG_LEVEL`). */
  logLevel?: string;
}

/**
 * The express app of the verifier service (`/v1/requests`, `/v1/presentations`, `/healthz`, `/metrics`,
 * `/openapi.json`), for embedding or for in-process tests.
 *
 * @example
 * ```ts
 * const app = createVerifierApp(service, { logLevel: 'warn' })
 * await request(app).get('/healthz').expect(200)
 * ```
 */
export function createVerifierApp(service: VerifierService, options: VerifierAppOptions = {}): Express {
  const log = options.logger ?? defaultLogger(options.logLevel);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // The hot path first, as a plain node:http handler (see routes/presentations.ts).
  app.use((req, res, next) => (req.url === PRESENTATIONS_PATH && req.method === 'POST' ? hot(req, res, service, log) : next()));
  const router = express.Router();
  requestsRoute(router, service);
  healthzRoute(router, service);
  metricsRoute(router, service);
  openapiRoute(router);
  app.use(router);
  app.use((_req, res) => sendProblem(res, 'ERR_NOT_FOUND', 'no such endpoint', 404));
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const status = typeof err?.status === 'number' ? err.status : 500;
    if (status === 413) return sendProblem(res, 'ERR_TOKEN_TOO_LARGE', 'request body too large', 413);
    if (status >= 400 && status < 500) return sendProblem(res, 'ERR_INPUT_INVALID', 'the request body is not valid JSON', 400);
    log.error({ err: (err as Error)?.name }, 'internal error');
    return sendProblem(res, 'ERR_INTERNAL', 'internal error', 500);
  };
  app.use(onError);
  return app;
}
