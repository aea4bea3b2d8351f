/** The CLI's `serve`: the HTTP surface and the status epoch schedule. */
import type { Command } from 'commander';
import { MaskidError } from '@maskid/core';
import { DEFAULT_EPOCH_SECONDS, startEpochs } from '../../services/status.js';
import { createIssuerApp } from '../../http/app.js';
import type { CliContext } from '../context.js';

/** Registers `serve`: the HTTP surface and the status epoch schedule. */
export function registerServeCommands(program: Command, cli: CliContext): void {
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
    .option(
      '--token-requests-per-client <n>',
      'token requests per minute from one client address (default 600; raise it where many wallets share an address, e.g. carrier NAT)',
      (v) => Number(v),
    )
    .action((opts) =>
      cli.withIssuer(async (issuer, o) => {
        const settings = await issuer.settings();
        const port = opts.port ?? (Number(new URL(settings.url).port) || (new URL(settings.url).protocol === 'https:' ? 443 : 80));
        if (!Number.isSafeInteger(opts.epoch) || opts.epoch < 0 || opts.epoch > 86_400) throw new MaskidError('ERR_INPUT_INVALID', '--epoch must be 0 to 86400 seconds');
        if (opts.tokenRequestsPerClient !== undefined && !(Number.isSafeInteger(opts.tokenRequestsPerClient) && opts.tokenRequestsPerClient > 0)) {
          throw new MaskidError('ERR_INPUT_INVALID', '--token-requests-per-client must be a whole number above 0');
        }
        const app = createIssuerApp(issuer, {
          ...(opts.tokenRequestsPerClient !== undefined ? { tokenRequestsPerMinutePerClient: opts.tokenRequestsPerClient } : {}),
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
}
