/**
 * `@maskid/holder`: the wallet core. Runs unchanged in Node and in a browser service worker (WebCrypto,
 * `fetch`, no `node:*`). File storage for Node is in `@maskid/holder/file-storage`.
 *
 * @packageDocumentation
 */
export * from './storage.js';
export * from './keys.js';
export * from './wallet.js';
