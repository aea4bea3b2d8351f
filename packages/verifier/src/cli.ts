/** `maskid-verifier serve --config FILE [--redis-url URL]`: the platform's verifier service. */
import { Command, CommanderError } from 'commander';
import { MaskidError } from '@maskid/core';
import { loadConfig } from './config.js';
import { VerifierService } from './service.js';
import { createVerifierApp } from './http/app.js';
import { RedisNonceStore } from './nonce-store.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('maskid-verifier')
    .description('Verify Internet ID presentations offline for one platform.')
    .exitOverride();
  program.command('serve')
    .description('start the HTTP service (prefetches issuer keys and every status list first)')
    .requiredOption('--config <file>', 'verifier config (JSON)')
    .option('--redis-url <url>', 'share nonces with other replicas through Redis')
    .option('--port <port>', 'override the config port', (v) => Number(v))
    .option('--host <host>', 'override the config host')
    .action(async (opts) => {
      const config = loadConfig(opts.config);
      const redisUrl = opts.redisUrl ?? config.redisUrl;
      const nonces = redisUrl ? await RedisNonceStore.connect(redisUrl) : undefined;
      const service = await VerifierService.create(config, nonces ? { nonces } : {});
      await service.start();
      const h = service.health();
      process.stderr.write(`maskid-verifier: platform ${config.platform}: ${h.issuerKeys} issuer key(s), ${h.usableLists}/${h.lists} status lists${h.status === 'ok' ? '' : ' — DEGRADED: verification fails closed until lists load'}\n`);
      const port = opts.port ?? config.port;
      const host = opts.host ?? config.host;
      const server = createVerifierApp(service).listen(port, host);
      // Longer than typical load-balancer idle timeouts, so pooled connections are not cut mid-request.
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 66_000;
      await new Promise<void>((resolve, reject) => { server.once('listening', resolve); server.once('error', reject); });
      process.stderr.write(`maskid-verifier: listening on http://${host}:${port}${redisUrl ? ' (nonces in Redis)' : ''}\n`);
      await new Promise<void>((done) => {
        const stop = () => server.close(() => void service.stop().then(done));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 2;
    const err = e instanceof MaskidError ? e : new MaskidError('ERR_INTERNAL', (e as Error).message);
    process.stderr.write(`maskid-verifier: ${err.code}: ${err.message}\n`);
    return 1;
  }
}
