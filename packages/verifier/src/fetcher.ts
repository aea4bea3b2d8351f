/**
 * The one way the verifier reaches the network: only the trusted issuers' origins, with a timeout, a
 * size limit and conditional GETs. Nothing is fetched per login.
 */
import { MaskidError } from '@maskid/core';

/** What a GET returned: the status, the body of a 200, and the caching headers. */
export interface FetchResult {
  status: number;
  body?: string;
  etag?: string;
  maxAgeSeconds?: number;
}

/** The `fetch` the verifier uses (injected in tests). */
export type Fetch = typeof fetch;

/**
 * The verifier's only network access: GETs to the trusted issuers' origins, with a timeout, a size
 * limit, no redirects and conditional requests.
 *
 * @example
 * ```ts
 * const fetcher = new AllowListFetcher(['https://id.example.gov'])
 * const { status, body, etag } = await fetcher.get('https://id.example.gov/keys')
 * ```
 */
export class AllowListFetcher {
  readonly #origins: Set<string>;

  constructor(
    origins: readonly string[],
    private readonly fetchImpl: Fetch = globalThis.fetch,
    private readonly options: { timeoutMs?: number; maxBytes?: number; onRequest?: (url: string) => void } = {},
  ) {
    this.#origins = new Set(origins.map((o) => new URL(o).origin));
  }

  /** GET `url` (with `If-None-Match` when `etag` is given). */
  async get(url: string, etag?: string): Promise<FetchResult> {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      throw new MaskidError('ERR_STATUS_LIST_INVALID', `not a URL: ${url}`);
    }
    if (!this.#origins.has(origin)) throw new MaskidError('ERR_ISSUER_UNTRUSTED', `${origin} is not a trusted issuer origin`);
    this.options.onRequest?.(url);
    const res = await this.fetchImpl(url, {
      headers: etag ? { 'If-None-Match': etag } : {},
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      redirect: 'error',
    });
    const maxAge = /max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1];
    const out: FetchResult = { status: res.status, ...(res.headers.get('etag') ? { etag: res.headers.get('etag')! } : {}), ...(maxAge ? { maxAgeSeconds: Number(maxAge) } : {}) };
    if (res.status === 200) {
      const limit = this.options.maxBytes ?? 64 * 1024 * 1024;
      const declared = Number(res.headers.get('content-length') ?? '0');
      if (declared > limit) throw new MaskidError('ERR_STATUS_LIST_INVALID', `${url} is larger than ${limit} bytes`);
      const text = await res.text();
      if (text.length > limit) throw new MaskidError('ERR_STATUS_LIST_INVALID', `${url} is larger than ${limit} bytes`);
      out.body = text;
    } else {
      await res.body?.cancel();
    }
    return out;
  }
}
