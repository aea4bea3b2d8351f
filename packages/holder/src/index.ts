/**
 * `@maskid/holder`: the wallet core. Runs unchanged in Node and in a browser service worker (WebCrypto,
 * `fetch`, no `node:*`). File storage for Node is in `@maskid/holder/file-storage`.
 *
 * @packageDocumentation
 */
export * from './storage.js';
export * from './keys.js';
export * from './wallet.js';
export {
  Openid4vciClient,
  WALLET_AUTHORIZATION_DETAILS,
  checkOffer,
  parseOffer,
  preAuthorizedGrant,
  type CredentialOffer,
  type CredentialOfferReference,
  type CredentialSession,
  type IssuerEndpoints,
  type ReceivedCredential,
} from './oid4vci-client.js';
export { checkTrustedIssuers, fetchTrustedRegistry, type HeldTrust } from './issuer-trust.js';
export { dueForRenewal, renewalTimeFor, checkRenewalPolicy, DEFAULT_RENEWAL, type RenewalPolicy, type RenewalState } from './renewal.js';
