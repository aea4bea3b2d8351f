/** `GET /.well-known/did.json`: the issuer's did:web document (every key, current and rotated). */
import type { Router } from 'express';
import type { IssuerHttpContext } from '../context.js';
import { KeyService } from '../../services/keys.js';

export function didDocumentRoute(router: Router, ctx: IssuerHttpContext): void {
  const keys = new KeyService(ctx.issuer);
  router.get('/.well-known/did.json', async (_req, res) => {
    res
      .set('Cache-Control', 'public, max-age=300')
      .type('application/did+json')
      .send(JSON.stringify(await keys.didDocument()));
  });
}
