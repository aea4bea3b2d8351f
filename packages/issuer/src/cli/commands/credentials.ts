/** `issue` (one credential to a holder did:jwk) and `offer` (an OpenID4VCI offer with its PIN). */
import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { FORMAT_DC_SD_JWT, FORMAT_ID } from '@maskid/core';
import { CredentialService } from '../../services/credentials.js';
import { Openid4vciService } from '../../services/openid4vci.js';
import type { CliContext } from '../context.js';

/** Registers `issue` (one credential to a holder did:jwk) and `offer` (an OpenID4VCI offer with its PIN). */
export function registerCredentialsCommands(program: Command, cli: CliContext): void {
  program
    .command('issue')
    .description('issue one credential for a person and platform to a holder did:jwk (prints the SD-JWT)')
    .requiredOption('--network-number <n>')
    .requiredOption('--platform <id>')
    .requiredOption('--holder <did>', 'the holder key as did:jwk')
    .option('--out <file>', 'write the compact SD-JWT to a file instead of stdout')
    .addOption(new Option('--format <format>', "the form: the profile's VCDM 2.0 SD-JWT, or the SD-JWT VC (VCLD) form").choices([FORMAT_ID, FORMAT_DC_SD_JWT]).default(FORMAT_ID))
    .action((opts) =>
      cli.withIssuer(async (issuer, o) => {
        const c = await new CredentialService(issuer).issue({ networkNumber: opts.networkNumber, platformId: opts.platform, holder: opts.holder, format: opts.format });
        if (opts.out) writeFileSync(opts.out, c.sdJwt + '\n', { mode: 0o600 });
        o.result(c, () => (opts.out ? `wrote ${opts.out} (masked ID ${c.maskedId}, valid until ${c.validUntil})` : c.sdJwt));
      }),
    );
  program
    .command('offer')
    .description('make a single-use OpenID4VCI credential offer for a person (prints the openid-credential-offer:// URI and the PIN to give by another channel)')
    .requiredOption('--network-number <n>')
    .action((opts) =>
      cli.withIssuer(async (issuer, o) => {
        const r = await new Openid4vciService(issuer).createOffer(opts.networkNumber);
        o.result(r, () => `${r.uri}\nPIN ${r.txCode} (give it by another channel); expires ${r.expiresAt}`);
      }),
    );
}
