/** The CLI's `revoke`, `suspend`, `resume`, `reissue`, `delete`. */
import type { Command } from 'commander';
import { StatusService } from '../../services/status.js';
import type { CliContext } from '../context.js';

/** Registers `revoke`, `suspend`, `resume`, `reissue`, `delete`. */
export function registerPersonStatusCommands(program: Command, cli: CliContext): void {
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
        cli.withIssuer(async (issuer, o) => {
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
      cli.withIssuer(async (issuer, o) => {
        const r = await new StatusService(issuer).reissue({ networkNumber: opts.networkNumber });
        o.result(r, () => `reissue: ${r.networkNumber} is at generation ${r.generation}; ${r.changedBits} old credential(s) revoked`);
      }),
    );

  program
    .command('delete')
    .description('erase a person: revoke everything, destroy their data key, data and blind index')
    .requiredOption('--network-number <n>')
    .action((opts) =>
      cli.withIssuer(async (issuer, o) => {
        const r = await new StatusService(issuer).delete({ networkNumber: opts.networkNumber });
        o.result(r, () => `deleted ${r.networkNumber}: data key destroyed, ${r.changedBits} credential(s) revoked`);
      }),
    );
}
