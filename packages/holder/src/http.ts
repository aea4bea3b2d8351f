/** The wallet's few HTTP helpers (one `fetch`, injected; revalidated, never from a browser's HTTP cache). */
import { MaskidError } from '@maskid/core';

export type HttpFetch = typeof fetch;
export type Json = Record<string, unknown>;

/**
 * A document's text, revalidated (`cache: no-cache`: answered from the server or by ETag, never from a
 * stale HTTP cache entry, so a new platform or key shows up at the next refresh).
 */
export async function fetchText(http: HttpFetch, url: string): Promise<string> {
  const res = await http(url, { cache: 'no-cache' });
  if (!res.ok) throw new MaskidError('ERR_INPUT_INVALID', `GET ${url} → ${res.status}`);
  return (await res.text()).trim();
}

/** A JSON object document (revalidated like {@link fetchText}). */
export async function fetchJson(http: HttpFetch, url: string): Promise<Json> {
  const res = await http(url, { headers: { Accept: 'application/json' }, cache: 'no-cache' });
  if (!res.ok) throw new MaskidError('ERR_INPUT_INVALID', `GET ${url} → ${res.status}`);
  return readJson(res);
}

/** A response body as a JSON object, or `{}` when it is not one. */
export async function readJson(res: Response): Promise<Json> {
  const text = await res.text();
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
  } catch {
    return {};
  }
}
