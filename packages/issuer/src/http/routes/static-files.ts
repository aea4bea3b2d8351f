/**
 * Conditional responses for published, signed documents: strong ETag, 304 on If-None-Match, and a
 * `Cache-Control` chosen by the route (`no-cache` for documents that change every epoch, `immutable`
 * for versioned ones). A 304 only saves bytes: verifiers measure freshness from signed times.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';

/** Revalidate on every use (manifests, canonical list URLs, the key list, the registry). */
export const CACHE_REVALIDATE = 'public, no-cache';
/** A versioned URL whose bytes never change. */
export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';

export function conditional(req: Request, res: Response, body: string, type: string, cacheControl: string): void {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
  res.set({ ETag: etag, 'Cache-Control': cacheControl });
  const inm = req.get('If-None-Match');
  if (
    inm
      ?.split(',')
      .map((t) => t.trim().replace(/^W\//, ''))
      .includes(etag)
  ) {
    res.status(304).end();
    return;
  }
  res.type(type).send(body);
}
