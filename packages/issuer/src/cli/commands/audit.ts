/** The CLI's `audit verify`. */
import type { Command } from 'commander';
import { AuditService } from '../../services/audit.js';
import { EXIT } from '../output.js';
import type { CliContext } from '../context.js';

/** Registers `audit verify`. */
export function registerAuditCommands(program: Command, cli: CliContext): void {
  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description('check the chain, every approval signature, and the signed head')
    .action(() =>
      cli.withIssuer(async (issuer, o) => {
        const r = await new AuditService(issuer).verify();
        if (!r.ok) {
          o.result(r, () => `audit log BROKEN: ${r.error?.message}`);
          cli.setExitCode(EXIT.error);
          return;
        }
        o.result(r, () => `audit log OK: ${r.entries} entries, signed head at ${r.headSeq ?? '-'}`);
      }),
    );
}
