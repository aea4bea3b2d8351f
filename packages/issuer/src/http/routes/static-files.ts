/**
 * Conditional responses for published, signed documents: strong ETag, 304 on If-None-Match, and a
 * `Cache-Control` chosen by the route (`no-cache` for documents that change every epoch, `immutable`
 * for versioned ones). A 304 only saves bytes: verifiers measure freshness from signed times.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Request, Response } from 'express';

/** Revalidate on every use (manifests, canonical list URLs, the key list, the registry). */
export const CACHE_REVALIDATE = 'public, no-cache';
/** A versioned URL whose bytes never change. */
export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';

/** GZIP bodies by ETag (the same signed documents are asked for by every verifier, every epoch). */
const gzipped = new Map<string, Buffer>();

/**
 * Sends a signed document with a strong ETag (one per content coding), 304 on a matching
 * If-None-Match, and GZIP when the client accepts it and the body is at least 512 bytes: a status list's
 * base64url-in-base64url payload shrinks by about a quarter on the wire, a manifest by about a third.
 */
export function conditional(req: Request, res: Response, body: string, type: string, cacheControl: string): void {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 32);
  const gzip = body.length >= 512 && req.acceptsEncodings('gzip', 'identity') === 'gzip';
  const etag = gzip ? `"${hash}.gz"` : `"${hash}"`;
  res.set({ ETag: etag, 'Cache-Control': cacheControl, Vary: 'Accept-Encoding' });
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
  if (!gzip) {
    res.type(type).send(body);
    return;
  }
  let bytes = gzipped.get(hash);
  if (!bytes) {
    bytes = gzipSync(body, { level: 6 });
    if (gzipped.size >= 4096) gzipped.clear();
    gzipped.set(hash, bytes);
  }
  res.set('Content-Encoding', 'gzip').type(type).send(bytes);
}
