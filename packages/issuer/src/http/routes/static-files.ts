/** Conditional responses for published, signed documents: strong ETag, max-age, 304 on If-None-Match. */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';

export function conditional(req: Request, res: Response, body: string, type: string, maxAgeSeconds: number): void {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
  res.set({ ETag: etag, 'Cache-Control': `public, max-age=${maxAgeSeconds}` });
  const inm = req.get('If-None-Match');
  if (inm && inm.split(',').map((t) => t.trim().replace(/^W\//, '')).includes(etag)) {
    res.status(304).end();
    return;
  }
  res.type(type).send(body);
}
