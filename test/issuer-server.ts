/** A real issuer HTTP server on a free loopback port, with a log of every request it receives. */
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createIssuerApp, CredentialService, Openid4vciService, PlatformService, StatusService, type Issuer, type IssuerAppOptions, type InitOptions } from '@maskid/issuer';
import { addPlatform, enrollPerson, testIssuer, trustAnchor } from './helpers.js';

export async function freePort(): Promise<number> {
  const srv: Server = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface RunningIssuer {
  issuer: Issuer;
  url: string;
  dir: string;
  /** `{ url, rootThumbprint }`: the trust anchor for verifier configs and wallets. */
  anchor: { url: string; rootThumbprint: string };
  /** `METHOD path` of every request, in order. */
  requests: string[];
  /** `METHOD path` of every request a browser made (its User-Agent names Chrome), in order. */
  browserRequests: string[];
  offer(networkNumber: string): Promise<{ uri: string; txCode: string }>;
  close(): Promise<void>;
}

/** An initialised dev issuer with platforms, serving on 127.0.0.1. */
export async function startIssuer(
  options: { platforms?: { id: string; claims: string[]; origin?: string; formats?: string[] }[]; app?: IssuerAppOptions; init?: Partial<InitOptions> } = {},
): Promise<RunningIssuer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await testIssuer({ url, ...options.init });
  const platforms = options.platforms ?? [];
  for (const [i, p] of platforms.entries()) {
    await new PlatformService(t.issuer).add({
      id: p.id,
      name: `Platform ${p.id}`,
      origins: [p.origin ?? `http://localhost:${port + 1 + i}`],
      claims: p.claims,
      ...(p.formats ? { formats: p.formats } : {}),
    });
  }
  await new StatusService(t.issuer).publish({});
  const requests: string[] = [];
  const browserRequests: string[] = [];
  const app = createIssuerApp(t.issuer, {
    ...options.app,
    onRequest: (m, p, ua) => {
      requests.push(`${m} ${p}`);
      if (/Chrom/.test(ua)) browserRequests.push(`${m} ${p}`);
    },
  });
  const server = app.listen(port, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  const oid4vci = new Openid4vciService(t.issuer);
  return {
    issuer: t.issuer,
    url,
    dir: t.dir,
    anchor: await trustAnchor(t.issuer),
    requests,
    browserRequests,
    offer: (nn) => oid4vci.createOffer(nn),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await t.cleanup();
    },
  };
}

export { addPlatform, enrollPerson, CredentialService };
