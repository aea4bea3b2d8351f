/** The CLI's `status publish`. */
import type { Command } from 'commander';
import { StatusService } from '../../services/status.js';
import { progressReporter } from '../progress.js';
import type { CliContext } from '../context.js';

/** Registers `status publish`. */
export function registerStatusCommands(program: Command, cli: CliContext): void {
  const status = program.command('status').description('status lists');
  status
    .command('publish')
    .description("publish one epoch now (`serve` does it on its --epoch schedule): the changed lists (vc+jwt) and every platform's signed manifest")
    .option('--out <dir>', 'also export every published document as static files to this directory (for a CDN)')
    .option('--epoch-seconds <n>', 'the epoch length the manifests announce (default: the last one used, or 300)', (v) => Number(v))
    .action((opts) =>
      cli.withIssuer(async (issuer, o) => {
        let progress: ReturnType<typeof progressReporter> | undefined;
        const r = await new StatusService(issuer).publish({
          ...(opts.out ? { outDir: opts.out } : {}),
          ...(opts.epochSeconds !== undefined ? { epochSeconds: opts.epochSeconds } : {}),
          onProgress: (done, total) => {
            progress ??= progressReporter(total, o.json, cli.stderr);
            progress.update(done, total);
          },
        });
        progress?.stop();
        o.result(
          r,
          () =>
            `epoch ${r.epoch}: ${r.lists} list(s) changed (signed when first asked for), ${r.platforms} manifest(s) carrying the changes${r.cleared ? `, ${r.cleared} released slot(s) cleared` : ''}${r.outDir ? ` → ${r.outDir}` : ''}`,
        );
      }),
    );
}
