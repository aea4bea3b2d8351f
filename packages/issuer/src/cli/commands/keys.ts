/** The CLI's the offline root key and the assertion keys: `root-key create`, `key rotate|retire|anchor`, `key list show|sign`. */
import { Option, type Command } from 'commander';
import { MaskidError } from '@maskid/core';
import { KeyService } from '../../services/keys.js';
import { createRootKeyFile, loadRootKey } from '../../crypto/root-key.js';
import type { CliContext } from '../context.js';

/** Registers the offline root key and the assertion keys: `root-key create`, `key rotate|retire|anchor`, `key list show|sign`. */
export function registerKeysCommands(program: Command, cli: CliContext): void {
  const rootKey = program.command('root-key').description('the offline root key (key ceremony; no data directory needed)');
  rootKey
    .command('create')
    .description('make a root key (private JWK to --out, mode 600, never overwritten; keep it offline) and print its thumbprint')
    .requiredOption('--out <file>', 'where to write the private JWK')
    .action(async (opts) => {
      const key = await createRootKeyFile(opts.out);
      cli.out().result({ rootKeyFile: opts.out, rootThumbprint: key.thumbprint, publicJwk: key.jwk }, () => `wrote ${opts.out}\nroot thumbprint ${key.thumbprint}`);
    });
  const key = program.command('key').description('issuer assertion keys and the root-signed key list (key ceremonies)');
  key
    .command('rotate')
    .description('announce a new assertion key in the key list; it signs after the lead time, the current key until then (and stays accepted until its credentials expire)')
    .requiredOption('--root-key <file>', 'the offline root key')
    .option('--lead <hours>', "hours before the new key signs (≥ 2× the verifiers' key refresh and the wallets' wake-up; 0 only in an emergency)", (v) => Number(v), 72)
    .addOption(new Option('--key-type <type>', 'signing key type').choices(['ES256', 'EdDSA']).default('ES256'))
    .action((opts) =>
      cli.withIssuer(async (issuer, o) => {
        if (!Number.isFinite(opts.lead) || opts.lead < 0) throw new MaskidError('ERR_INPUT_INVALID', '--lead must be a number of hours ≥ 0');
        if (opts.lead < 36)
          o.warn(
            `maskid-issuer: WARNING: a lead of ${opts.lead} h is shorter than 2 × the wallets' wake-up (18 h): wallets and verifiers that have not re-read the key list refuse the new key's credentials until they do`,
          );
        const r = await new KeyService(issuer).rotate(await loadRootKey(opts.rootKey), {
          leadSeconds: Math.round(opts.lead * 3600),
          keyType: opts.keyType === 'EdDSA' ? 'Ed25519' : 'Secp256r1',
        });
        o.result(r, () => `announced ${r.kid} (key list v${r.version}); it signs from ${r.signFrom}, ${r.previous} until then`);
      }),
    );
  key
    .command('retire')
    .description("distrust a key: it leaves the key list now, and every credential it signed is refused from the verifiers' next key refresh")
    .requiredOption('--root-key <file>', 'the offline root key')
    .requiredOption('--kid <kid>', 'the key (DID URL or key id)')
    .action((opts) =>
      cli.withIssuer(async (issuer, o) => {
        const r = await new KeyService(issuer).retire(await loadRootKey(opts.rootKey), opts.kid);
        o.result(r, () => `retired ${r.retired} (key list v${r.version})`);
      }),
    );
  key
    .command('anchor')
    .description('print the trust anchor verifiers and wallets are configured with (issuer URL and root key thumbprint)')
    .action(() =>
      cli.withIssuer(async (issuer, o) => {
        const s = await issuer.settings();
        const rootThumbprint = await new KeyService(issuer).rootThumbprint();
        o.result(
          { url: s.url, rootThumbprint },
          () => `issuer ${s.url}\nroot thumbprint ${rootThumbprint}\nverifier config: "trustedIssuers": [{ "url": "${s.url}", "rootThumbprint": "${rootThumbprint}" }]`,
        );
      }),
    );
  const keyList = key.command('list').description('the key list');
  keyList
    .command('show')
    .description('the key schedule and the current signed key list')
    .action(() =>
      cli.withIssuer(async (issuer, o) => {
        const keys = new KeyService(issuer);
        const schedule = await keys.schedule();
        const version = Number(await issuer.getMeta('key_list_version'));
        const iso = (t?: number) => (t === undefined ? '-' : new Date(t * 1000).toISOString());
        o.result({ version, rootThumbprint: await keys.rootThumbprint(), schedule, keyList: await keys.keyList() }, () =>
          [`key list v${version}`, ...schedule.map((k) => `  ${k.kid}\tsigns ${iso(k.signFrom)} – ${iso(k.signUntil)}\taccepted until ${iso(k.verifyUntil)}`)].join('\n'),
        );
      }),
    );
  keyList
    .command('sign')
    .description('re-sign the key list unchanged (a new version and expiry); do it well before it expires')
    .requiredOption('--root-key <file>', 'the offline root key')
    .action((opts) =>
      cli.withIssuer(async (issuer, o) => {
        const r = await new KeyService(issuer).resign(await loadRootKey(opts.rootKey));
        o.result(r, () => `key list v${r.version} signed`);
      }),
    );
}
