/**
 * The verifier under soak (test/soak/soak.test.ts), as its own process: the product's
 * `VerifierService` and `createVerifierListener` on a free port, logging to stderr as `serve` does.
 * Run as `node soak-server.js <issuerUrl> <rootThumbprint> <platform> <origin>`; sends `{ port }` over IPC.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VerifierService, createVerifierListener, parseConfig } from '@maskid/verifier';

const [issuerUrl, rootThumbprint, platform, origin] = process.argv.slice(2) as [string, string, string, string];
const service = await VerifierService.create(
  parseConfig({ platform, origins: [origin], trustedIssuers: [{ url: issuerUrl, rootThumbprint }], allowedClaims: ['ageOver18'], dev: true }),
);
await service.start();
const server = createServer(createVerifierListener(service, { logLevel: process.env['MASKID_LOG_LEVEL'] ?? 'info' }));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
