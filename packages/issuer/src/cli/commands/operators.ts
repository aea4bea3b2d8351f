/** `operator keygen|add|list|approve|approve-add` and `reidentify`. */
import { writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import type { Command } from 'commander';
import { publicJwk, type Jwk } from '@maskid/core';
import { AuditService, createApproval, createOperatorApproval } from '../../services/audit.js';
import { operatorSigner, readJsonFile, readTextFile } from '../files.js';
import type { CliContext } from '../context.js';

/** Registers `operator keygen|add|list|approve|approve-add` and `reidentify`. */
export function registerOperatorsCommands(program: Command, cli: CliContext): void {
  const operator = program.command('operator').description('operators who request and approve re-identification');
  operator
    .command('add')
    .description("register an operator's public key (JWK file, P-256 or Ed25519), approved by a different existing operator (`operator approve-add`)")
    .requiredOption('--id <id>')
    .requiredOption('--public-key <file>', 'public JWK (JSON)')
    .requiredOption('--by <id>', 'you, the registered operator making the change')
    .requiredOption('--approval <file>', 'approval JWS by another registered operator')
    .action((opts) =>
      cli.withIssuer(async (issuer, o) => {
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
      cli.out().result({ approval: jws }, () => (opts.out ? `wrote ${opts.out}` : jws));
    });
  operator
    .command('list')
    .description('list operators')
    .action(() =>
      cli.withIssuer(async (issuer, o) => {
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
      cli.out().result({ privateKeyFile: opts.out, publicJwk: pub }, () => JSON.stringify(pub));
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
      cli.out().result({ approval: jws }, () => (opts.out ? `wrote ${opts.out}` : jws));
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
      cli.withIssuer(async (issuer, o) => {
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
}
