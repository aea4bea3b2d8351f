/**
 * `@maskid/verifier`: offline verification of Internet ID presentations and the HTTP service.
 *
 * @packageDocumentation
 */
export { parseConfig, loadConfig, type VerifierConfig, type TrustedIssuer } from './config.js';
export { MemoryNonceStore, RedisNonceStore, type NonceStore, type RequestRecord, type RedisLike } from './nonce-store.js';
export { AllowListFetcher, type FetchResult } from './fetcher.js';
export { IssuerKeyCache, type IssuerKey } from './issuer-keys.js';
export { StatusListCache, MAX_MANIFEST_LENGTH, type StatusCacheOptions } from './status-cache.js';
export { CompactBits } from './compact-bits.js';
export { PresentationVerifier, MAX_PRESENTATION_LENGTH, type VerifyResult, type StatusSource, type EngineOptions } from './engine.js';
export { LoadShedder } from './load-shedder.js';
export { VerifierService, type VerifierServiceOptions } from './service.js';
export { createVerifierApp, createVerifierListener } from './http/app.js';
export { handlePresentation } from './http/routes/presentations.js';
export { OPENAPI } from './http/openapi.js';
export { statusFor } from './http/problem.js';
