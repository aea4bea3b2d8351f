/**
 * `@maskid/core`: the maskid credential profile. Runs in Node and in a browser service worker.
 *
 * @packageDocumentation
 */
export * from './errors.js';
export * from './encoding.js';
export * from './profile.js';
export * from './jose.js';
export * from './sd-jwt.js';
export * from './status-list.js';
export * from './dcql.js';
export * from './json.js';
export * from './key-list.js';
export * from './status-manifest.js';
export * from './registry.js';
export * from './wire.js';
export * from './presentation-checks.js';
export * from './context.js';
export * from './vcld.js';
export * from './profile-check.js';
