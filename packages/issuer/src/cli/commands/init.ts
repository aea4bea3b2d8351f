/** The CLI's `init`: create the issuer. */
import { Option, type Command } from 'commander';
import { MaskidError } from '@maskid/core';
import { AuditService } from '../../services/audit.js';
import { KeyService } from '../../services/keys.js';
import { initIssuer } from '../../services/init.js';
import { loadRootKey } from '../../crypto/root-key.js';
import { collect, readJsonFile } from '../files.js';
import type { CliContext } from '../context.js';

/** Registers `init`: create the issuer. */
export function registerInitCommands(program: Command, cli: CliContext): void {
  program
    .command('init')
    .description('create the issuer: database, did:web with an assertion key, K_mask v1, blind-index and status-index keys (idempotent; never replaces keys)')
    .requiredOption('--url <url>', 'the issuer base URL (https; http://localhost only with --dev); the DID is its did:web')
    .addOption(new Option('--key-type <type>', 'signing key type').choices(['ES256', 'EdDSA']).default('ES256'))
    .option('--capacity <n>', 'status slots per platform (people × generations); a multiple of the list size', (v) => Number(v))
    .option('--list-size <n>', 'entries per status list (≥ 131072)', (v) => Number(v))
    .option('--validity-days <days>', 'credential validity in days (before jitter)', (v) => Number(v))
    .option('--root-key <file>', 'the offline root key that signs the key list (`root-key create`); required outside --dev')
    .option('--operator <id=public-jwk-file>', 'a first operator (give two: re-identification and operator changes need a second person)', collect)
    .action((opts) =>
      cli.withIssuer(async (issuer, o) => {
        const { created, settings } = await initIssuer(issuer, {
          url: opts.url,
          ...(opts.rootKey ? { rootKey: await loadRootKey(opts.rootKey) } : {}),
          keyType: opts.keyType === 'EdDSA' ? 'Ed25519' : 'Secp256r1',
          ...(opts.capacity ? { capacity: opts.capacity } : {}),
          ...(opts.listSize ? { listSize: opts.listSize } : {}),
          ...(opts.validityDays ? { credentialValidityDays: opts.validityDays } : {}),
        });
        if (opts.operator?.length) {
          const operators = (opts.operator as string[]).map((spec) => {
            const eq = spec.indexOf('=');
            if (eq < 1) throw new MaskidError('ERR_INPUT_INVALID', `--operator takes ID=PUBLIC_JWK_FILE, not ${spec}`);
            return { id: spec.slice(0, eq), jwk: readJsonFile(spec.slice(eq + 1), 'operator public key') };
          });
          await new AuditService(issuer).bootstrapOperators(operators);
        }
        const { jwk } = await issuer.signer();
        const rootThumbprint = await new KeyService(issuer).rootThumbprint();
        o.result(
          { created, ...settings, publicJwk: jwk, rootThumbprint },
          () =>
            `${created ? 'created' : 'already initialised'}: ${settings.did}\n  key ${settings.did}#${settings.kid}\n  root thumbprint ${rootThumbprint} (configure verifiers and wallets with it)\n  status capacity ${settings.capacity} per platform in lists of ${settings.listSize}`,
        );
      }, true),
    );
}
