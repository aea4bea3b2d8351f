/**
 * The issuer's own Veramo plugin classes, as `agent.yml` names them under `$require: '@maskid/issuer#…'`:
 * the node:crypto KMS and the two credential providers and the batch issuer. The agent loader imports this module (not the
 * package face, which imports the loader).
 */
export { NodeCryptoKeyManagementSystem } from './node-crypto-kms.js';
export { SdJwtCredentialProvider, VcJwtCredentialProvider } from './credential-providers.js';
export { MaskidBatchIssuer } from './batch-issuer.js';
