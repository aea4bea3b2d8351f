/**
 * `@maskid/issuer`: the state issuer of maskid.
 *
 * @packageDocumentation
 */
export { NodeCryptoKeyManagementSystem, keyMaterial } from './agent/node-crypto-kms.js';
export { SdJwtCredentialProvider, VcJwtCredentialProvider, keyManagerSigner, assertionKey } from './agent/credential-providers.js';
export { createFromConfig, readAgentConfig } from './agent/agent-config.js';
export { holderJwk, isP256Point } from './crypto/holder-key.js';
export { jwkThumbprintSync, verifyJwsSignature } from './crypto/jws-verify.js';
export { MaskidBatchIssuer, MAX_BATCH, type IMaskidBatchIssuer, type IssueBatchArgs, type IssueBatchResult, type BatchCapableKms } from './agent/batch-issuer.js';
export { secureSdJwtBatch, type BatchSigningHandle } from './agent/sd-jwt-batch.js';
export { Issuer, checkIssuerUrl, defaultAgentConfigPath, DEV_ROOT_KEY_FILE, type IssuerOptions, type IssuerSettings, type ScheduledKey } from './issuer.js';
export { loadRootKey, createRootKeyFile, rootKeyFromJwk, nodeSigner, type RootKey } from './crypto/root-key.js';
export { KeyService, DEFAULT_KEY_LEAD_SECONDS, DEFAULT_KEY_LIST_VALIDITY_SECONDS } from './services/keys.js';
export { initIssuer, type InitOptions } from './services/init.js';
export { Sealer, loadKek, sealWith, openWith, DEV_KEK, type KekSource } from './crypto/sealer.js';
export { maskedIdEncoder, maskedIdFor, maskedIdVersion } from './crypto/masked-id.js';
export { StatusIndexPermutation } from './crypto/status-index.js';
export { validateNationalId, nationalIdCheckChar, isRealDate, PROVINCE_CODES } from './national-id.js';
export { formatNetworkNumber, parseNetworkNumber, randomSerial, serialKey } from './network-number.js';
export { EnrollmentService, validateEnrollInput, findPerson, type EnrollInput, type PersonData } from './services/enrollment.js';
export { parseEnrollmentCsv, CSV_COLUMNS } from './services/enrollment-csv.js';
export { PlatformService, checkOrigin, type Platform } from './services/platforms.js';
export { CredentialService, validUntilFor, maxValidityDays, claimsAt, type IssuedCredential, type BatchItem } from './services/credentials.js';
export {
  StatusService,
  startEpochs,
  statusListUrl,
  manifestUrl,
  TYP_MANIFEST,
  DEFAULT_EPOCH_SECONDS,
  RESIGN_PER_EPOCH,
  CLEAR_PER_EPOCH,
  clearAtFor,
  encodeStatusBits,
  type StatusChange,
  type PublishResult,
} from './services/status.js';
export { AuditService, createApproval, createOperatorApproval, canonicalJson, chainHash, TYP_APPROVAL, TYP_AUDIT_HEAD } from './services/audit.js';
export { openDataSource, parseDatabaseLocation, truncateWal } from './db/data-source.js';
export {
  Openid4vciService,
  OAuthError,
  DEFAULT_LIFETIMES,
  PRE_AUTHORIZED_GRANT,
  CREDENTIAL_CONFIGURATION_ID,
  TYP_PROOF,
  TYP_DPOP,
  MAX_TX_CODE_ATTEMPTS,
} from './services/openid4vci.js';
export { createIssuerApp, type IssuerAppOptions } from './http/app.js';
export { PLATFORM_REGISTRY_TYPE } from './http/routes/platforms.js';
