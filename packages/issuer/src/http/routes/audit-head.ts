/** `GET /audit/head`: the issuer-signed head of the audit chain (`{ iss, seq, hash, iat }`). */
import type { Router } from 'express';
import type { IssuerHttpContext } from '../context.js';
import { sendProblem } from '../errors.js';

export function auditHeadRoute(router: Router, ctx: IssuerHttpContext): void {
  router.get('/audit/head', async (_req, res) => {
    const head = await ctx.issuer.getMeta('audit_head');
    if (!head) return sendProblem(res, 404, 'ERR_NOT_FOUND', 'the audit log is empty');
    res.set('Cache-Control', 'no-cache').type('application/jwt').send(head);
  });
}
