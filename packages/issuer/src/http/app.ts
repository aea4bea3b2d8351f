/**
 * The issuer's HTTP surface (express). Public documents (DID document, context, platform registry,
 * status lists, audit head) and the OpenID4VCI endpoints. There are no admin actions here: the CLI
 * works on the database.
 */
import express, { type Express } from 'express';
import type { Issuer } from '../issuer.js';
import { Openid4vciService, type Openid4vciLifetimes } from '../services/openid4vci.js';
import { StatusService } from '../services/status.js';
import { PlatformService, type Platform } from '../services/platforms.js';
import { keyListRoute } from './routes/key-list.js';
import type { IssuerHttpContext } from './context.js';
import { errorHandler, sendProblem } from './errors.js';
import { jwtVcIssuerMetadataRoute } from './routes/jwt-vc-issuer.js';
import { didDocumentRoute } from './routes/did-document.js';
import { contextRoute } from './routes/context.js';
import { platformsRoute } from './routes/platforms.js';
import { statusManifestRoute } from './routes/status-manifest.js';
import { statusListRoute } from './routes/status-list.js';
import { auditHeadRoute } from './routes/audit-head.js';
import { credentialIssuerMetadataRoute } from './routes/credential-issuer-metadata.js';
import { authorizationServerMetadataRoute } from './routes/authorization-server-metadata.js';
import { tokenRoute } from './routes/token.js';
import { credentialOfferRoute } from './routes/credential-offer.js';
import { nonceRoute } from './routes/nonce.js';
import { credentialRoute } from './routes/credential.js';

/** Options of {@link createIssuerApp}. */
export interface IssuerAppOptions {
  /** Token requests per minute per grant (refresh token or pre-authorized code). */
  tokenRequestsPerMinute?: number;
  /** Token requests per minute per client address (all grants together). */
  tokenRequestsPerMinutePerClient?: number;
  /**
   * express's `trust proxy` (a hop count, `loopback`, CIDRs…): behind a load balancer, which
   * `X-Forwarded-For` entries name the client. Unset: the peer address is the client.
   */
  trustProxy?: boolean | number | string;
  lifetimes?: Partial<Openid4vciLifetimes>;
  now?: () => number;
  /** Called for every request (tests count issuer requests with it). */
  onRequest?: (method: string, path: string, userAgent: string) => void;
}

/**
 * Builds the issuer's express app.
 *
 * @example
 * ```ts
 * const app = createIssuerApp(issuer)
 * app.listen(8443)
 * ```
 */
export function createIssuerApp(issuer: Issuer, options: IssuerAppOptions = {}): Express & { context: IssuerHttpContext } {
  const ctx: IssuerHttpContext = {
    issuer,
    oid4vci: new Openid4vciService(issuer, { ...(options.lifetimes ? { lifetimes: options.lifetimes } : {}), ...(options.now ? { now: options.now } : {}) }),
    status: new StatusService(issuer),
    platform: platformLookup(issuer),
  };
  const app = express();
  app.disable('x-powered-by');
  if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);
  app.set('etag', false);
  if (options.onRequest)
    app.use((req, _res, next) => {
      options.onRequest!(req.method, req.path, req.get('user-agent') ?? '');
      next();
    });
  // Everything here is public or bearer-bound (no cookies), so any origin may call it; wallets run in
  // extension service workers and pages.
  app.use((req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'ETag, DPoP-Nonce, WWW-Authenticate' });
    if (req.method === 'OPTIONS') {
      res.set({ 'Access-Control-Allow-Methods': 'GET, POST', 'Access-Control-Allow-Headers': 'Authorization, DPoP, Content-Type, If-None-Match', 'Access-Control-Max-Age': '600' });
      res.status(204).end();
      return;
    }
    next();
  });
  const router = express.Router();
  didDocumentRoute(router, ctx);
  jwtVcIssuerMetadataRoute(router, ctx);
  keyListRoute(router, ctx);
  contextRoute(router, ctx);
  platformsRoute(router, ctx);
  statusManifestRoute(router, ctx);
  statusListRoute(router, ctx);
  auditHeadRoute(router, ctx);
  credentialIssuerMetadataRoute(router, ctx);
  authorizationServerMetadataRoute(router, ctx);
  tokenRoute(router, ctx, { perGrantPerMinute: options.tokenRequestsPerMinute ?? 60, perClientPerMinute: options.tokenRequestsPerMinutePerClient ?? 600 });
  nonceRoute(router, ctx);
  credentialOfferRoute(router, ctx);
  credentialRoute(router, ctx);
  app.use(router);
  app.use((_req, res) => sendProblem(res, 404, 'ERR_NOT_FOUND', 'no such endpoint'));
  app.use(errorHandler);
  return Object.assign(app, { context: ctx });
}

/** Platforms by id, re-read at most every 2 s (a `platform add` shows up without a restart). */
function platformLookup(issuer: Issuer): (id: string) => Promise<Platform | undefined> {
  let cache: { at: number; byId: Map<string, Platform> } | undefined;
  return async (id) => {
    if (!cache || Date.now() - cache.at > 2000) cache = { at: Date.now(), byId: new Map((await new PlatformService(issuer).list()).map((p) => [p.id, p])) };
    return cache.byId.get(id);
  };
}
