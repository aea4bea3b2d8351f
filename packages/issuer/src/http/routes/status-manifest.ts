/** `GET /status/:platform/manifest`: the signed manifest of a platform's list URLs (whole file, no auth). */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Router } from 'express';
import type { IssuerHttpContext } from '../context.js';
import { sendProblem } from '../errors.js';
import { conditional } from './static-files.js';

export const SEGMENT = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function statusManifestRoute(router: Router, ctx: IssuerHttpContext): void {
  router.get('/status/:platform/manifest', async (req, res) => {
    const platform = String(req.params['platform']);
    if (!SEGMENT.test(platform)) return sendProblem(res, 404, 'ERR_NOT_FOUND', 'no such manifest');
    let body: string;
    try {
      body = await readFile(join(ctx.statusDir, platform, 'manifest.jwt'), 'utf8');
    } catch {
      return sendProblem(res, 404, 'ERR_NOT_FOUND', 'no manifest published for this platform (run `maskid-issuer status publish`)');
    }
    conditional(req, res, body, 'application/jwt', Math.floor((await ctx.issuer.settings()).ttlMs / 1000));
  });
}
