/** The CLI's `platform add|list`. */
import type { Command } from 'commander';
import { PlatformService } from '../../services/platforms.js';
import { collect, list } from '../files.js';
import type { CliContext } from '../context.js';

/** Registers `platform add|list`. */
export function registerPlatformCommands(program: Command, cli: CliContext): void {
  const platform = program.command('platform').description('register and list platforms');
  platform
    .command('add')
    .description('register a platform: it gets a unique random 64-bit platform number')
    .requiredOption('--id <id>', 'short id (a-z, 0-9, -)')
    .requiredOption('--name <name>', 'verified name shown to people in the wallet')
    .requiredOption('--origin <origin>', 'web origin, e.g. https://shop.example (repeatable)', collect)
    .requiredOption('--claims <claims>', `claims it may request, comma-separated`, list)
    .option('--formats <formats>', 'credential forms its verifiers ask for, comma-separated: vc+sd-jwt (default), dc+sd-jwt; wallets hold only these', list)
    .action((opts) =>
      cli.withIssuer(async (issuer, o) => {
        const p = await new PlatformService(issuer).add({
          id: opts.id,
          name: opts.name,
          origins: opts.origin,
          claims: opts.claims,
          ...(opts.formats ? { formats: opts.formats } : {}),
        });
        o.result(p, () => `registered ${p.id} (${p.name}), platform number ${p.number.toString(16).padStart(16, '0')}`);
      }),
    );
  platform
    .command('list')
    .description('list registered platforms')
    .action(() =>
      cli.withIssuer(async (issuer, o) => {
        const ps = await new PlatformService(issuer).list();
        o.result({ platforms: ps }, () =>
          ps.length === 0 ? 'no platforms' : ps.map((p) => `${p.id}\t${p.name}\t${p.origins.join(' ')}\t${p.claims.join(',')}\t${p.formats.join(',')}`).join('\n'),
        );
      }),
    );
}
