/**
 * `maskid-issuer`: the issuer operator's CLI. All state lives in one data directory; the KEK comes
 * from `--kek-file` / `MASKID_KEK_FILE` (or the development KEK with `--dev`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, createPrivateKey } from 'node:crypto';
import { Command, CommanderError, Option } from 'commander';
import { MaskidError, publicJwk, type Jwk, type JwsSigner } from '@maskid/core';
import { Issuer } from '../issuer.js';
import { loadKek } from '../crypto/sealer.js';
import { EnrollmentService, type EnrollInput } from '../services/enrollment.js';
import { parseEnrollmentCsv } from '../services/enrollment-csv.js';
import { PlatformService } from '../services/platforms.js';
import { CredentialService } from '../services/credentials.js';
import { DEFAULT_EPOCH_SECONDS, StatusService, startEpochs } from '../services/status.js';
import { AuditService, createApproval, createOperatorApproval } from '../services/audit.js';
import { KeyService } from '../services/keys.js';
import { createRootKeyFile, loadRootKey } from '../crypto/root-key.js';
import { createOutput, reportError, EXIT, type Output } from './output.js';
import { Openid4vciService } from '../services/openid4vci.js';
import { createIssuerApp } from '../http/app.js';
import { progressReporter } from './progress.js';

interface GlobalOptions {
  dataDir: string;
  kekFile?: string;
  dev?: boolean;
  json?: boolean;
  db?: string;
  agentConfig?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new MaskidError('ERR_INPUT_INVALID', `cannot read ${what} ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
}

function readJsonFile(path: string, what: string): unknown {
  const text = readTextFile(path, what);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new MaskidError('ERR_INPUT_INVALID', `${what} ${path} is not JSON`, { cause });
  }
}

/** A signer from an operator's private JWK file (P-256 or Ed25519). */
function operatorSigner(file: string): { signer: JwsSigner; jwk: Jwk } {
  const jwk = readJsonFile(file, 'operator key') as Jwk;
  if (!jwk || typeof jwk !== 'object' || typeof jwk.d !== 'string') throw new MaskidError('ERR_INPUT_INVALID', `${file} must hold a private JWK (with "d")`);
  let key;
  try {
    key = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch (cause) {
    throw new MaskidError('ERR_INPUT_INVALID', `${file} is not a usable private JWK`, { cause });
  }
  const ec = jwk.kty === 'EC';
  return {
    jwk: publicJwk(jwk),
    signer: {
      alg: ec ? 'ES256' : 'EdDSA',
      async sign(data) {
        const { sign } = await import('node:crypto');
        return ec ? sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }) : sign(null, data, key);
      },
    },
  };
}

/**
 * Runs the CLI with `argv` (as `process.argv`); returns the exit code.
 *
 * @example
 * ```ts
 * const code = await main(['node', 'maskid-issuer', '--dev', 'init', '--url', 'http://localhost:8443'])
 * ```
 */
export async function main(argv: string[], io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  let exitCode: number = EXIT.ok;
  let jsonMode = argv.includes('--json');
  const program = new Command('maskid-issuer')
    .description('Operate a maskid issuer: enrol people, register platforms, issue and revoke Internet ID credentials, publish status lists.')
    .option('--data-dir <dir>', 'data directory (database, published lists)', process.env['MASKID_DATA_DIR'] ?? './maskid-data')
    .option('--kek-file <file>', 'key-encryption key file (passphrase or random key); env MASKID_KEK_FILE', process.env['MASKID_KEK_FILE'])
    .option('--dev', 'development mode: the well-known development KEK and http://localhost URLs are allowed')
    .option('--db <url-or-file>', 'database: a SQLite file or a postgres:// URL (default: <data-dir>/issuer.sqlite)', process.env['MASKID_DB'])
    .option('--agent-config <file>', 'Veramo agent config (default: the bundled agent.yml)', process.env['MASKID_AGENT_CONFIG'])
    .option('--json', 'print one JSON document instead of text')
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const out = (): Output => createOutput(Boolean(globals().json), stdout, stderr);

  /** Opens the issuer for one command and closes it afterwards. */
  const withIssuer = async <T>(fn: (issuer: Issuer, o: Output) => Promise<T>, create = false): Promise<T> => {
    const g = globals();
    const o = out();
    const kek = loadKek({ kekFile: g.kekFile, dev: g.dev });
    if (kek.origin === 'dev') o.warn('maskid-issuer: WARNING: --dev uses the well-known DEVELOPMENT key-encryption key. Never use this data directory for real people.');
    const issuer = await Issuer.open(
      { dataDir: g.dataDir, kek, dev: Boolean(g.dev), ...(g.db ? { db: g.db } : {}), ...(g.agentConfig ? { agentConfig: g.agentConfig } : {}) },
      create,
    );
    try {
      return await fn(issuer, o);
    } finally {
      await issuer.close();
    }
  };

  const rootKey = program.command('root-key').description('the offline root key (key ceremony; no data directory needed)');
  rootKey
    .command('create')
    .description('make a root key (private JWK to --out, mode 600, never overwritten; keep it offline) and print its thumbprint')
    .requiredOption('--out <file>', 'where to write the private JWK')
    .action(async (opts) => {
      const key = await createRootKeyFile(opts.out);
      out().result({ rootKeyFile: opts.out, rootThumbprint: key.thumbprint, publicJwk: key.jwk }, () => `wrote ${opts.out}\nroot thumbprint ${key.thumbprint}`);
    });

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
      withIssuer(async (issuer, o) => {
        const { created, settings } = await issuer.init({
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

  program
    .command('enroll')
    .description('enrol one person (flags) or many (--csv FILE with columns national_id,family_name,given_name,birth_date,gender,region[,nationality])')
    .option('--national-id <id>', '18-character resident ID number')
    .option('--name <name>', '"Family Given" or "Family, Given"')
    .option('--family-name <name>')
    .option('--given-name <name>')
    .option('--birth-date <YYYY-MM-DD>')
    .option('--gender <F|M|X>')
    .option('--region <code>', '2-digit province code (GB/T 2260)')
    .option('--nationality <CC>', 'ISO 3166-1 alpha-2', 'CN')
    .option('--csv <file>', 'enrol every row of a CSV file (header row required)')
    .action((opts) =>
      withIssuer(async (issuer, o) => {
        const service = new EnrollmentService(issuer);
        if (opts.csv) {
          const rows = readCsv(opts.csv);
          const started = performance.now();
          const progress = progressReporter(rows.length, o.json, stderr);
          const { enrolled, errors } = await service.enrollMany(rows, { onProgress: progress.update, firstRowNumber: 2 });
          progress.stop();
          const seconds = (performance.now() - started) / 1000;
          const summary = {
            rows: rows.length,
            enrolled: enrolled.length,
            rejected: errors.length,
            seconds: Number(seconds.toFixed(3)),
            rowsPerSecond: Math.round(enrolled.length / Math.max(seconds, 1e-6)),
            errors,
            networkNumbers: enrolled.map((e) => e.networkNumber),
          };
          o.result(summary, () =>
            [
              `enrolled ${enrolled.length} of ${rows.length} rows in ${seconds.toFixed(2)} s (${summary.rowsPerSecond} rows/s)`,
              ...errors.slice(0, 20).map((e) => `  line ${e.row}: ${e.code}: ${e.message}`),
              ...(errors.length > 20 ? [`  … and ${errors.length - 20} more (use --json for all)`] : []),
            ].join('\n'),
          );
          if (errors.length > 0) exitCode = EXIT.partial;
          return;
        }
        if (!opts.nationalId) throw new MaskidError('ERR_INPUT_INVALID', 'give --national-id, --name, --birth-date, --gender and --region, or --csv FILE');
        const r = await service.enroll({
          nationalId: opts.nationalId,
          name: opts.name,
          familyName: opts.familyName,
          givenName: opts.givenName,
          birthDate: opts.birthDate ?? '',
          gender: opts.gender ?? '',
          region: opts.region ?? '',
          nationality: opts.nationality,
        });
        o.result({ networkNumber: r.networkNumber }, () => r.networkNumber);
      }),
    );

  const platform = program.command('platform').description('register and list platforms');
  platform
    .command('add')
    .description('register a platform: it gets a unique random 64-bit platform number')
    .requiredOption('--id <id>', 'short id (a-z, 0-9, -)')
    .requiredOption('--name <name>', 'verified name shown to people in the wallet')
    .requiredOption('--origin <origin>', 'web origin, e.g. https://shop.example (repeatable)', collect)
    .requiredOption('--claims <claims>', `claims it may request, comma-separated`, list)
    .action((opts) =>
      withIssuer(async (issuer, o) => {
        const p = await new PlatformService(issuer).add({ id: opts.id, name: opts.name, origins: opts.origin, claims: opts.claims });
        o.result(p, () => `registered ${p.id} (${p.name}), platform number ${p.number.toString(16).padStart(16, '0')}`);
      }),
    );
  platform
    .command('list')
    .description('list registered platforms')
    .action(() =>
      withIssuer(async (issuer, o) => {
        const ps = await new PlatformService(issuer).list();
        o.result({ platforms: ps }, () => (ps.length === 0 ? 'no platforms' : ps.map((p) => `${p.id}\t${p.name}\t${p.origins.join(' ')}\t${p.claims.join(',')}`).join('\n')));
      }),
    );

  program
    .command('issue')
    .description('issue one credential for a person and platform to a holder did:jwk (prints the SD-JWT)')
    .requiredOption('--network-number <n>')
    .requiredOption('--platform <id>')
    .requiredOption('--holder <did>', 'the holder key as did:jwk')
    .option('--out <file>', 'write the compact SD-JWT to a file instead of stdout')
    .action((opts) =>
      withIssuer(async (issuer, o) => {
        const c = await new CredentialService(issuer).issue({ networkNumber: opts.networkNumber, platformId: opts.platform, holder: opts.holder });
        if (opts.out) writeFileSync(opts.out, c.sdJwt + '\n', { mode: 0o600 });
        o.result(c, () => (opts.out ? `wrote ${opts.out} (masked ID ${c.maskedId}, valid ${c.validFrom} – ${c.validUntil})` : c.sdJwt));
      }),
    );

  for (const [name, description] of [
    ['revoke', "revoke a person's credentials on every platform (or --platform P); final for this generation"],
    ['suspend', "suspend a person's credentials on every platform (or --platform P)"],
    ['resume', 'lift a suspension on every platform (or --platform P)'],
  ] as const) {
    program
      .command(name)
      .description(description)
      .requiredOption('--network-number <n>')
      .option('--platform <id>', 'only this platform')
      .action((opts) =>
        withIssuer(async (issuer, o) => {
          const r = await new StatusService(issuer)[name]({ networkNumber: opts.networkNumber, ...(opts.platform ? { platformId: opts.platform } : {}) });
          o.result(
            r,
            () =>
              `${name}: ${r.networkNumber} now ${r.state}; ${r.changedBits} bit(s) changed on ${r.platforms.join(', ') || 'no platforms'} (published with the next \`status publish\`)`,
          );
        }),
      );
  }

  program
    .command('reissue')
    .description('new generation (lost device, renewal): revokes all current credentials, moves the person to fresh status indexes; masked IDs stay')
    .requiredOption('--network-number <n>')
    .action((opts) =>
      withIssuer(async (issuer, o) => {
        const r = await new StatusService(issuer).reissue({ networkNumber: opts.networkNumber });
        o.result(r, () => `reissue: ${r.networkNumber} is at generation ${r.generation}; ${r.changedBits} old credential(s) revoked`);
      }),
    );

  program
    .command('delete')
    .description('erase a person: revoke everything, destroy their data key, data and blind index')
    .requiredOption('--network-number <n>')
    .action((opts) =>
      withIssuer(async (issuer, o) => {
        const r = await new StatusService(issuer).delete({ networkNumber: opts.networkNumber });
        o.result(r, () => `deleted ${r.networkNumber}: data key destroyed, ${r.changedBits} credential(s) revoked`);
      }),
    );

  const operator = program.command('operator').description('operators who request and approve re-identification');
  operator
    .command('add')
    .description("register an operator's public key (JWK file, P-256 or Ed25519), approved by a different existing operator (`operator approve-add`)")
    .requiredOption('--id <id>')
    .requiredOption('--public-key <file>', 'public JWK (JSON)')
    .requiredOption('--by <id>', 'you, the registered operator making the change')
    .requiredOption('--approval <file>', 'approval JWS by another registered operator')
    .action((opts) =>
      withIssuer(async (issuer, o) => {
        const r = await new AuditService(issuer).addOperator(opts.id, readJsonFile(opts.publicKey, 'public key'), {
          by: opts.by,
          approval: readTextFile(opts.approval, 'approval'),
        });
        o.result(r, () => `operator ${r.id} added`);
      }),
    );
  operator
    .command('approve-add')
    .description('as an existing operator (not the one running `operator add`), approve adding an operator (no data directory needed)')
    .requiredOption('--key <file>', 'your private JWK')
    .requiredOption('--id <id>', 'your operator id')
    .requiredOption('--requester <id>', 'the operator who runs `operator add`')
    .requiredOption('--new-id <id>', 'the operator to add')
    .requiredOption('--new-public-key <file>', 'their public JWK')
    .option('--ttl <seconds>', 'validity of the approval', (v) => Number(v), 86_400)
    .option('--out <file>', 'write the approval here instead of stdout')
    .action(async (opts) => {
      const { signer } = operatorSigner(opts.key);
      const jws = await createOperatorApproval(signer, {
        approver: opts.id,
        requester: opts.requester,
        operatorId: opts.newId,
        jwk: readJsonFile(opts.newPublicKey, 'public key') as Jwk,
        ttlSeconds: opts.ttl,
      });
      if (opts.out) writeFileSync(opts.out, jws + '\n', { mode: 0o600 });
      out().result({ approval: jws }, () => (opts.out ? `wrote ${opts.out}` : jws));
    });
  operator
    .command('list')
    .description('list operators')
    .action(() =>
      withIssuer(async (issuer, o) => {
        const ops = await new AuditService(issuer).operators();
        o.result({ operators: ops }, () => ops.map((op) => `${op.id}\t${op.addedAt}`).join('\n') || 'no operators');
      }),
    );
  operator
    .command('keygen')
    .description('make an operator key pair (private JWK to --out, mode 600; public JWK printed) — no data directory needed')
    .requiredOption('--out <file>', 'where to write the private JWK')
    .action((opts) => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = privateKey.export({ format: 'jwk' }) as Jwk;
      writeFileSync(opts.out, JSON.stringify(jwk) + '\n', { mode: 0o600, flag: 'wx' });
      const pub = publicJwk(jwk);
      out().result({ privateKeyFile: opts.out, publicJwk: pub }, () => JSON.stringify(pub));
    });
  operator
    .command('approve')
    .description('as the approving operator, sign an approval for a re-identification request (no data directory needed)')
    .requiredOption('--key <file>', 'your private JWK')
    .requiredOption('--id <id>', 'your operator id')
    .requiredOption('--requester <id>', 'the requesting operator')
    .requiredOption('--platform <id>')
    .requiredOption('--masked-id <m>')
    .requiredOption('--case <ref>')
    .option('--ttl <seconds>', 'validity of the approval', (v) => Number(v), 86_400)
    .option('--out <file>', 'write the approval here instead of stdout')
    .action(async (opts) => {
      const { signer } = operatorSigner(opts.key);
      const jws = await createApproval(signer, {
        approver: opts.id,
        requester: opts.requester,
        caseRef: opts.case,
        platformId: opts.platform,
        maskedId: opts.maskedId,
        ttlSeconds: opts.ttl,
      });
      if (opts.out) writeFileSync(opts.out, jws + '\n', { mode: 0o600 });
      out().result({ approval: jws }, () => (opts.out ? `wrote ${opts.out}` : jws));
    });

  program
    .command('reidentify')
    .description("re-identify a masked ID reported by a platform (needs a case reference and a second operator's approval; audit-logged)")
    .requiredOption('--platform <id>')
    .requiredOption('--masked-id <m>')
    .requiredOption('--case <ref>')
    .requiredOption('--approval <file>', 'approval JWS signed by a second operator (`operator approve`)')
    .requiredOption('--operator <id>', 'you, the requesting operator')
    .action((opts) =>
      withIssuer(async (issuer, o) => {
        const r = await new AuditService(issuer).reidentify({
          platformId: opts.platform,
          maskedId: opts.maskedId,
          caseRef: opts.case,
          approval: readTextFile(opts.approval, 'approval'),
          operator: opts.operator,
        });
        o.result(r, () => `${r.networkNumber} (${r.state}); audit entry ${r.auditSeq}`);
      }),
    );

  program
    .command('offer')
    .description('make a single-use OpenID4VCI credential offer for a person (prints the openid-credential-offer:// URI and the PIN to give by another channel)')
    .requiredOption('--network-number <n>')
    .action((opts) =>
      withIssuer(async (issuer, o) => {
        const r = await new Openid4vciService(issuer).createOffer(opts.networkNumber);
        o.result(r, () => `${r.uri}\nPIN ${r.txCode} (give it by another channel); expires ${r.expiresAt}`);
      }),
    );

  const key = program.command('key').description('issuer assertion keys and the root-signed key list (key ceremonies)');
  key
    .command('rotate')
    .description('announce a new assertion key in the key list; it signs after the lead time, the current key until then (and stays accepted until its credentials expire)')
    .requiredOption('--root-key <file>', 'the offline root key')
    .option('--lead <hours>', "hours before the new key signs (≥ 2× the verifiers' key refresh and the wallets' wake-up; 0 only in an emergency)", (v) => Number(v), 72)
    .addOption(new Option('--key-type <type>', 'signing key type').choices(['ES256', 'EdDSA']).default('ES256'))
    .action((opts) =>
      withIssuer(async (issuer, o) => {
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
      withIssuer(async (issuer, o) => {
        const r = await new KeyService(issuer).retire(await loadRootKey(opts.rootKey), opts.kid);
        o.result(r, () => `retired ${r.retired} (key list v${r.version})`);
      }),
    );
  key
    .command('anchor')
    .description('print the trust anchor verifiers and wallets are configured with (issuer URL and root key thumbprint)')
    .action(() =>
      withIssuer(async (issuer, o) => {
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
      withIssuer(async (issuer, o) => {
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
      withIssuer(async (issuer, o) => {
        const r = await new KeyService(issuer).resign(await loadRootKey(opts.rootKey));
        o.result(r, () => `key list v${r.version} signed`);
      }),
    );

  program
    .command('serve')
    .description('serve the DID document, context, platform registry, status lists, audit head and the OpenID4VCI endpoints')
    .option('--port <port>', "port (default: the issuer URL's port)", (v) => Number(v))
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--epoch <seconds>', 'publish a status epoch this often (one epoch at a time across processes on one database); 0 = never', (v) => Number(v), DEFAULT_EPOCH_SECONDS)
    .option(
      '--trust-proxy <setting>',
      'behind a load balancer: which proxies to trust for the client address (express "trust proxy": a hop count, "loopback", or CIDRs); rate limits key on that address',
    )
    .action((opts) =>
      withIssuer(async (issuer, o) => {
        const settings = await issuer.settings();
        const port = opts.port ?? (Number(new URL(settings.url).port) || (new URL(settings.url).protocol === 'https:' ? 443 : 80));
        if (!Number.isSafeInteger(opts.epoch) || opts.epoch < 0 || opts.epoch > 86_400) throw new MaskidError('ERR_INPUT_INVALID', '--epoch must be 0 to 86400 seconds');
        const app = createIssuerApp(issuer, {
          ...(opts.trustProxy !== undefined ? { trustProxy: /^\d+$/.test(opts.trustProxy) ? Number(opts.trustProxy) : opts.trustProxy } : {}),
        });
        const epochs = opts.epoch > 0 ? startEpochs(issuer, opts.epoch, (e) => o.warn(`maskid-issuer: status epoch failed: ${(e as Error).message}`)) : undefined;
        const server = app.listen(port, opts.host);
        // Longer than load balancers' and clients' idle timeouts: Node's 5 s default closes connections
        // that a client is about to reuse (it sees "fetch failed").
        server.keepAliveTimeout = 65_000;
        server.headersTimeout = 66_000;
        await new Promise<void>((resolveListen, reject) => {
          server.once('listening', resolveListen);
          server.once('error', reject);
        });
        o.note(`maskid-issuer: serving ${settings.did} on http://${opts.host}:${port} (public URL ${settings.url})`);
        if (o.json) o.result({ listening: `http://${opts.host}:${port}`, did: settings.did, url: settings.url }, () => '');
        await new Promise<void>((done) => {
          const stop = () => {
            epochs?.stop();
            server.close(() => done());
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );

  const status = program.command('status').description('status lists');
  status
    .command('publish')
    .description("publish one epoch now (`serve` does it on its --epoch schedule): the changed lists (vc+jwt) and every platform's signed manifest")
    .option('--out <dir>', 'also export every published document as static files to this directory (for a CDN)')
    .option('--epoch-seconds <n>', 'the epoch length the manifests announce (default: the last one used, or 300)', (v) => Number(v))
    .action((opts) =>
      withIssuer(async (issuer, o) => {
        let progress: ReturnType<typeof progressReporter> | undefined;
        const r = await new StatusService(issuer).publish({
          ...(opts.out ? { outDir: opts.out } : {}),
          ...(opts.epochSeconds !== undefined ? { epochSeconds: opts.epochSeconds } : {}),
          onProgress: (done, total) => {
            progress ??= progressReporter(total, o.json, stderr);
            progress.update(done, total);
          },
        });
        progress?.stop();
        o.result(r, () => `epoch ${r.epoch}: ${r.lists} list(s) signed, ${r.platforms} manifest(s)${r.outDir ? ` → ${r.outDir}` : ''}`);
      }),
    );

  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description('check the chain, every approval signature, and the signed head')
    .action(() =>
      withIssuer(async (issuer, o) => {
        const r = await new AuditService(issuer).verify();
        if (!r.ok) {
          o.result(r, () => `audit log BROKEN: ${r.error?.message}`);
          exitCode = EXIT.error;
          return;
        }
        o.result(r, () => `audit log OK: ${r.entries} entries, signed head at ${r.headSeq ?? '-'}`);
      }),
    );

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    jsonMode = Boolean(program.opts<GlobalOptions>().json) || jsonMode;
    return reportError(e, jsonMode, stdout, stderr);
  }
  return exitCode;
}

/** Reads an enrolment CSV file (see {@link parseEnrollmentCsv}). */
export function readCsv(file: string): EnrollInput[] {
  return parseEnrollmentCsv(readTextFile(file, 'CSV file'), file);
}
