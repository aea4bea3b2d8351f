// Bench fixtures: a development issuer serving on loopback, people with credentials for one platform,
// and distinct real presentations (one fresh nonce each) for a verifier of that platform.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import {
  Issuer,
  initIssuer,
  KeyService,
  loadKek,
  EnrollmentService,
  PlatformService,
  CredentialService,
  StatusService,
  createIssuerApp,
  nationalIdCheckChar,
} from '@maskid/issuer';
import { didJwkFor, presentInternetIdCredential, webCryptoSigner } from '@maskid/core';

export const ORIGIN = 'https://forum.example';

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let idCounter = 0;
/** A valid, unique national ID and its birth date. */
export function nationalId() {
  const n = idCounter++;
  const day = new Date(Date.UTC(1960, 0, 1) + (n % 15000) * 86_400_000).toISOString().slice(0, 10);
  const first17 = `110105${day.replaceAll('-', '')}${String(Math.floor(n / 15000) % 1000).padStart(3, '0')}`;
  return { nationalId: first17 + nationalIdCheckChar(first17), birthDate: day };
}

/**
 * Starts an issuer with platform `forum` (and `capacity` slots per platform), enrols `people` people,
 * issues each a credential and makes one presentation per person (distinct nonce); with `vcld`, also
 * the same person's SD-JWT VCLD form and a presentation of it (`vcldPresentations`). With `setPerPurpose`,
 * that many more people are enrolled and revoked, and as many suspended, before the lists are published
 * (a verifier fetches only lists with a bit set: this is what makes it hold them).
 */
export async function issuerFixture({ people = 200, capacity, claims = ['ageOver18'], vcld = false, setPerPurpose = 0 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'maskid-bench-'));
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const issuer = await Issuer.open({ dataDir: dir, kek: loadKek({ dev: true }), dev: true }, true);
  await initIssuer(issuer, { url, ...(capacity ? { capacity } : {}) });
  await new PlatformService(issuer).add({ id: 'forum', name: 'Forum', origins: [ORIGIN], claims: ['ageOver18', 'region'] });
  const enrol = new EnrollmentService(issuer);
  const rows = Array.from({ length: people }, () => {
    const id = nationalId();
    return { ...id, familyName: 'Zhang', givenName: 'San', gender: 'M', region: '11' };
  });
  const { enrolled } = await enrol.enrollMany(rows);
  const creds = new CredentialService(issuer);
  const presentations = [];
  const vcldPresentations = [];
  const holders = [];
  for (const e of enrolled) {
    const kp = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const jwk = await crypto.subtle.exportKey('jwk', kp.publicKey);
    const c = await creds.issue({ networkNumber: e.networkNumber, platformId: 'forum', holder: didJwkFor(jwk) });
    const nonce = `bench-nonce-${presentations.length}-${crypto.randomUUID()}`;
    const signer = webCryptoSigner(kp.privateKey, 'ES256');
    presentations.push({ nonce, vp: await presentInternetIdCredential(c.sdJwt, { claims, kbSigner: signer, nonce, aud: `origin:${ORIGIN}` }), sdJwt: c.sdJwt });
    holders.push({ kp, jwk, signer });
    if (vcld) {
      // The same person's SD-JWT VCLD form (dc+sd-jwt), bound to the same holder key, with its own nonce.
      const v = await creds.issue({ networkNumber: e.networkNumber, platformId: 'forum', holder: didJwkFor(jwk), format: 'dc+sd-jwt' });
      const vNonce = `bench-nonce-vcld-${vcldPresentations.length}-${crypto.randomUUID()}`;
      vcldPresentations.push({
        nonce: vNonce,
        vp: await presentInternetIdCredential(v.sdJwt, { claims, kbSigner: signer, nonce: vNonce, aud: `origin:${ORIGIN}` }),
        sdJwt: v.sdJwt,
      });
    }
  }
  const status = new StatusService(issuer);
  if (setPerPurpose > 0) {
    const rows = Array.from({ length: 2 * setPerPurpose }, () => ({ ...nationalId(), familyName: 'Li', givenName: 'Si', gender: 'F', region: '31' }));
    const extra = (await enrol.enrollMany(rows)).enrolled;
    for (const [i, e] of extra.entries()) await (i % 2 ? status.suspend({ networkNumber: e.networkNumber }) : status.revoke({ networkNumber: e.networkNumber }));
  }
  await status.publish({});
  const server = createIssuerApp(issuer, { tokenRequestsPerMinute: 1e6 }).listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    issuer,
    url,
    dir,
    presentations,
    vcldPresentations,
    holders,
    enrolled,
    verifierConfig: {
      platform: 'forum',
      origins: [ORIGIN],
      trustedIssuers: [{ url, rootThumbprint: await new KeyService(issuer).rootThumbprint() }],
      allowedClaims: ['ageOver18', 'region'],
      dev: true,
      maxKbAgeSeconds: 24 * 3600,
      // Load shedding off: the HTTP rows measure verification capacity; a closed loop at saturation would
      // otherwise see a few 503 ERR_OVERLOADED (the soak test covers shedding).
      maxEventLoopDelayMs: 0,
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await issuer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Median, min and max of a list of numbers. */
export function stats(values) {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return { median: v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2, min: v[0], max: v[v.length - 1], runs: v.length };
}

/** Runs `fn` `runs` times after one warm-up; returns per-run results of `fn` (a rate). */
export async function repeat(runs, fn) {
  await fn();
  const out = [];
  for (let i = 0; i < runs; i++) out.push(await fn());
  return out;
}
