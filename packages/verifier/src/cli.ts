/**
 * `maskid-verifier serve --config FILE [--redis-url URL] [--replicas N]`: the platform's verifier
 * service. With `--replicas N` a node:cluster primary runs N worker processes on one port (the
 * kernel-side round-robin of node's cluster module); each keeps its own status cache, and nonces are
 * shared through Redis, which is therefore required.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { Command, CommanderError } from 'commander';
import { MaskidError } from '@maskid/core';
import { loadConfig } from './config.js';
import { VerifierService } from './service.js';
import { createServer } from 'node:http';
import { createVerifierListener } from './http/app.js';
import { RedisNonceStore } from './nonce-store.js';

function parseReplicas(value: string): number {
  const n = value === 'cores' ? availableParallelism() : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > availableParallelism() * 4)
    throw new MaskidError('ERR_CONFIG_INVALID', `--replicas must be 1..${availableParallelism() * 4} or "cores"`);
  return n;
}

/** The cluster primary: forks N workers, replaces one that dies (at most once a second), stops them on SIGTERM/SIGINT. */
async function runPrimary(replicas: number): Promise<void> {
  let stopping = false;
  const fork = (replica: number) => {
    const worker = cluster.fork({ MASKID_VERIFIER_REPLICA: String(replica) });
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(`maskid-verifier: replica ${replica} exited (${signal ?? code}); starting a new one\n`);
      setTimeout(() => fork(replica), 1000).unref();
    });
  };
  for (let r = 1; r <= replicas; r++) fork(r);
  process.stderr.write(`maskid-verifier: primary ${process.pid}: ${replicas} replicas\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {});
      let left = workers.length;
      if (left === 0) done();
      for (const w of workers) {
        w?.once('exit', () => {
          if (--left === 0) done();
        });
        w?.process.kill('SIGTERM');
      }
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * Runs `maskid-verifier` with `argv` (as `process.argv`); returns the exit code. The entry point: the
 * only place that reads the environment (`MASKID_LOG_LEVEL`, `MASKID_VERIFIER_REPLICA`).
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv)
 * ```
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('maskid-verifier').description('Verify Internet ID presentations offline for one platform.').exitOverride();
  program
    .command('serve')
    .description('start the HTTP service (prefetches issuer keys and every status list first)')
    .requiredOption('--config <file>', 'verifier config (JSON)')
    .option('--redis-url <url>', 'share nonces with other replicas through Redis')
    .option('--port <port>', 'override the config port', (v) => Number(v))
    .option('--host <host>', 'override the config host')
    .option('--replicas <n>', `worker processes on the same port (1..${availableParallelism() * 4}; "cores" = one per core); >1 needs Redis`, parseReplicas, 1)
    .action(async (opts) => {
      const config = loadConfig(opts.config);
      const redisUrl = opts.redisUrl ?? config.redisUrl;
      if (opts.replicas > 1 && !redisUrl) throw new MaskidError('ERR_CONFIG_INVALID', '--replicas > 1 needs --redis-url (or redisUrl in the config): replicas must share nonces');
      if (opts.replicas > 1 && cluster.isPrimary) return runPrimary(opts.replicas);
      const nonces = redisUrl ? await RedisNonceStore.connect(redisUrl) : undefined;
      const replica = Number(process.env['MASKID_VERIFIER_REPLICA'] ?? '0') || 0;
      const service = await VerifierService.create(config, { ...(nonces ? { nonces } : {}), replica });
      await service.start();
      const h = service.health();
      process.stderr.write(
        `maskid-verifier: platform ${config.platform}: ${h.issuerKeys} issuer key(s), status epoch ${h.epoch} (${h.lists} list(s) held)${h.status === 'ok' ? '' : ' — DEGRADED: verification fails closed until keys and a current status manifest load'}\n`,
      );
      const port = opts.port ?? config.port;
      const host = opts.host ?? config.host;
      const server = createServer(createVerifierListener(service, { logLevel: process.env['MASKID_LOG_LEVEL'] ?? 'info' })).listen(port, host);
      // Longer than typical load-balancer idle timeouts, so pooled connections are not cut mid-request.
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 66_000;
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve);
        server.once('error', reject);
      });
      const replicaLabel = service.replica ? `replica ${service.replica}: ` : '';
      process.stderr.write(`maskid-verifier: ${replicaLabel}listening on http://${host}:${port}${redisUrl ? ' (nonces in Redis)' : ''}\n`);
      await new Promise<void>((done) => {
        const stop = () => server.close(() => void service.stop().then(done));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      // A cluster worker's IPC channel would keep it alive after a clean stop.
      if (cluster.isWorker) cluster.worker?.disconnect();
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
