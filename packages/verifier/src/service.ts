/**
 * Assembles a verifier for one platform from its config: allow-listed fetcher, issuer key cache,
 * status list cache, nonce store (memory or Redis), engine, Prometheus metrics.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { VerifierConfig } from './config.js';
import { AllowListFetcher, type Fetch } from './fetcher.js';
import { IssuerKeyCache } from './issuer-keys.js';
import { StatusListCache } from './status-cache.js';
import { MemoryNonceStore, RedisNonceStore, type NonceStore } from './nonce-store.js';
import { PresentationVerifier, type VerifyResult } from './engine.js';
import { LoadShedder } from './load-shedder.js';

/** Options of {@link VerifierService.create}: injected fetch, clock and nonce store, the key-list refresh, and the replica number. */
export interface VerifierServiceOptions {
  fetch?: Fetch;
  now?: () => number;
  nonces?: NonceStore;
  /** How often issuer key lists are re-read (ms, default: the config's `keyRefreshMs`). */
  keyRefreshMs?: number;
  /** Every outgoing request (tests count issuer contacts with it). */
  onIssuerRequest?: (url: string) => void;
  /** Which replica this is (`serve --replicas N`: 1..N; 0, the default, for a single process). */
  replica?: number;
}

/** The Prometheus metrics of a verifier (served at `/metrics`). */
export interface VerifierMetrics {
  registry: Registry;
  verifications: Counter<'result'>;
  latency: Histogram;
  manifestAge: Gauge;
  listErrors: Counter;
  shed: Counter<'route'>;
}

/**
 * A verifier for one platform, assembled from its config: the issuer key cache (key lists under the
 * root thumbprint), the status cache (manifest and lists), the nonce store, the engine, metrics and the
 * load shedder.
 *
 * @example
 * ```ts
 * const service = await VerifierService.create(loadConfig('verifier.json'))
 * await service.start()
 * createServer(createVerifierListener(service)).listen(8080)
 * ```
 */
export class VerifierService {
  readonly engine: PresentationVerifier;
  readonly keys: IssuerKeyCache;
  readonly status: StatusListCache;
  readonly nonces: NonceStore;
  readonly metrics: VerifierMetrics;
  /** Refuses verification work while the event loop is late (config `maxEventLoopDelayMs`). */
  readonly shedder: LoadShedder;
  #keyTimer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    readonly config: Readonly<VerifierConfig>,
    parts: { keys: IssuerKeyCache; status: StatusListCache; nonces: NonceStore; engine: PresentationVerifier; metrics: VerifierMetrics },
    private readonly options: VerifierServiceOptions,
  ) {
    this.keys = parts.keys;
    this.status = parts.status;
    this.nonces = parts.nonces;
    this.engine = parts.engine;
    this.metrics = parts.metrics;
    this.shedder = new LoadShedder(config.maxEventLoopDelayMs, () => parts.engine.workMs);
  }

  /** Builds the service (connecting to Redis when configured); call {@link start} to prefetch. */
  static async create(config: Readonly<VerifierConfig>, options: VerifierServiceOptions = {}): Promise<VerifierService> {
    const fetcher = new AllowListFetcher(
      config.trustedIssuers.map((t) => t.url),
      options.fetch ?? globalThis.fetch,
      { ...(options.onIssuerRequest ? { onRequest: options.onIssuerRequest } : {}) },
    );
    const now = options.now ?? Date.now;
    const keys = new IssuerKeyCache(config.trustedIssuers, fetcher, { now });
    const registry = new Registry();
    const statusRef: { current?: StatusListCache } = {};
    const metrics: VerifierMetrics = {
      registry,
      verifications: new Counter({
        name: 'maskid_verifications_total',
        help: 'Presentations verified, by result code (ok or the error code)',
        labelNames: ['result'],
        registers: [registry],
      }),
      latency: new Histogram({
        name: 'maskid_verification_duration_seconds',
        help: 'Time to verify one presentation',
        buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
        registers: [registry],
      }),
      manifestAge: new Gauge({
        name: 'maskid_status_manifest_age_seconds',
        help: 'Seconds since the signed iat of the newest verified status manifest (-1: none yet)',
        registers: [registry],
        collect() {
          this.set(statusRef.current?.stats().manifestAgeSeconds ?? -1);
        },
      }),
      listErrors: new Counter({ name: 'maskid_status_list_errors_total', help: 'Failed or rejected status list and manifest fetches', registers: [registry] }),
      shed: new Counter({
        name: 'maskid_shed_total',
        help: 'Requests refused with 503 ERR_OVERLOADED because the event loop was late',
        labelNames: ['route'],
        registers: [registry],
      }),
    };
    const status = new StatusListCache(keys, fetcher, {
      platform: config.platform,
      issuers: config.trustedIssuers.map((t) => ({ did: t.did, url: t.url })),
      ...(config.maxStalenessMs !== undefined ? { maxStalenessMs: config.maxStalenessMs } : {}),
      ...(config.manifestPollMs !== undefined ? { pollMs: config.manifestPollMs } : {}),
      ...(config.statusCapacity !== undefined ? { capacity: config.statusCapacity } : {}),
      skewSeconds: config.skewSeconds,
      now,
      onError: () => metrics.listErrors.inc(),
    });
    statusRef.current = status;
    const nonces = options.nonces ?? (config.redisUrl ? await RedisNonceStore.connect(config.redisUrl) : new MemoryNonceStore());
    const engine = new PresentationVerifier({
      platform: config.platform,
      issuers: config.trustedIssuers.map((t) => t.did),
      issuerUrls: config.trustedIssuers.map((t) => t.url),
      origins: config.origins,
      allowedClaims: config.allowedClaims,
      keys,
      status,
      nonces,
      requestTtlMs: config.requestTtlMs,
      skewSeconds: config.skewSeconds,
      maxKbAgeSeconds: config.maxKbAgeSeconds,
      now,
    });
    return new VerifierService(config, { keys, status, nonces, engine, metrics }, options);
  }

  /** Loads the issuer key lists, the manifest and the lists it names, then keeps them current in the background. */
  async start(): Promise<void> {
    await this.keys.refresh();
    await this.status.start();
    this.shedder.start();
    this.#keyTimer = setInterval(() => void this.keys.refresh().catch(() => undefined), this.options.keyRefreshMs ?? this.config.keyRefreshMs);
    this.#keyTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.#keyTimer) clearInterval(this.#keyTimer);
    this.status.stop();
    this.shedder.stop();
    await this.nonces.close();
  }

  /** Verifies and records metrics. */
  async verify(presentation: unknown, context: { requestId: string; origin?: string }): Promise<VerifyResult> {
    const end = this.metrics.latency.startTimer();
    const r = await this.engine.verify(presentation, context);
    end();
    this.metrics.verifications.inc({ result: r.verified ? 'ok' : r.error.code });
    return r;
  }

  /** Health: ready when issuer keys are loaded and status is usable (a current manifest, no list past the bound). */
  health(): { status: 'ok' | 'degraded'; issuerKeys: number; lists: number; epoch: number; staleLists: number; manifestAgeSeconds: number; replica: number } {
    const s = this.status.stats();
    const ok = this.keys.size > 0 && s.usable;
    return {
      status: ok ? 'ok' : 'degraded',
      issuerKeys: this.keys.size,
      lists: s.lists,
      epoch: s.epoch,
      staleLists: s.staleLists,
      manifestAgeSeconds: Math.round(s.manifestAgeSeconds),
      replica: this.replica,
    };
  }

  /** Which replica this is (`serve --replicas N`: 1..N; 0 for a single process). */
  get replica(): number {
    return this.options.replica ?? 0;
  }
}
