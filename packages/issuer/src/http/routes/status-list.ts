/**
 * `GET /status/:platform/:list`: one BitstringStatusListCredential (`vc+jwt`), whole, unauthenticated,
 * with an ETag and `Cache-Control: max-age` = the list's ttl in seconds.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Router } from 'express';
import type { IssuerHttpContext } from '../context.js';
import { sendProblem } from '../errors.js';
import { conditional } from './static-files.js';
import { SEGMENT } from './status-manifest.js';

const LIST = /^(revocation|suspension)-\d{1,6}$/;

export function statusListRoute(router: Router, ctx: IssuerHttpContext): void {
  router.get('/status/:platform/:list', async (req, res) => {
    const platform = String(req.params['platform']);
    const list = String(req.params['list']);
    if (!SEGMENT.test(platform) || !LIST.test(list)) return sendProblem(res, 404, 'ERR_NOT_FOUND', 'no such status list');
    let body: string;
    try {
      body = await readFile(join(ctx.statusDir, platform, `${list}.jwt`), 'utf8');
    } catch {
      return sendProblem(res, 404, 'ERR_NOT_FOUND', 'no such status list (run `maskid-issuer status publish`)');
    }
    conditional(req, res, body, 'application/vc+jwt', Math.floor((await ctx.issuer.settings()).ttlMs / 1000));
  });
}
