/**
 * Writes the forgery corpus `test/vectors/forgeries/*.json` from test/core/forgeries.ts plus the
 * HTTP-body, replay and status-list cases. Run after changing the cases:
 *
 *   npx tsc -b && node test/dist/vectors/generate-forgeries.js
 *
 * The files are data: the test (test/verifier/forgery-vectors.test.ts) reads them, never this script.
 * Keys are generated fresh on every run; `_context.json` carries the issuer's public key.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BitstringStatusList, TYP_STATUS_MANIFEST, encodeListEpochs, signJwt, webCryptoSigner, type JwsSigner } from '@maskid/core';
import { makeFixture, ISSUER, NONCE, NOW, ORIGIN, PLATFORM } from '../core/fixtures.js';
import { forgeryCases } from '../core/forgeries.js';
import { REPO_ROOT } from '../helpers.js';

const DIR = join(REPO_ROOT, 'test', 'vectors', 'forgeries');
const LIST_URL = `https://id.example.gov/status/${PLATFORM}/revocation-0`;
/** The held manifest is epoch 5 and names the good list at epoch 3 (it last changed then); the next manifest names list 0 at epoch 6. */
const GOOD_EPOCH = 5;
const GOOD_LIST_EPOCH = 3;
const NEXT_EPOCH = 6;
const LISTS = 8;

const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

async function statusList(signer: JwsSigner, kid: string, over: { length?: number; purpose?: string; issuer?: string; id?: string; epoch?: number; revoked?: number[] } = {}): Promise<string> {
  const list = BitstringStatusList.create(131_072);
  for (const i of over.revoked ?? []) list.set(i, true);
  let encoded = list.encode();
  if (over.length !== undefined) {
    // A list shorter than the 131,072-entry minimum (encoded by hand: the codec refuses to build one).
    const { gzipSync } = await import('node:zlib');
    encoded = `u${gzipSync(new Uint8Array(over.length / 8)).toString('base64url')}`;
  }
  return signJwt({ typ: 'vc+jwt', kid }, {
    '@context': ['https://www.w3.org/ns/credentials/v2'], id: over.id ?? LIST_URL, type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: over.issuer ?? ISSUER, validFrom: '2026-06-15T11:55:00Z',
    credentialSubject: { id: `${LIST_URL}#list`, type: 'BitstringStatusList', statusPurpose: over.purpose ?? 'revocation', encodedList: encoded, epoch: over.epoch ?? NEXT_EPOCH },
  }, signer);
}

/** A signed manifest of the platform: 8 lists per purpose, revocation list 0 last changed at `listEpoch`. */
async function manifest(signer: JwsSigner, kid: string, epoch: number, listEpoch: number, over: Record<string, unknown> = {}): Promise<string> {
  const revocation = new Uint32Array(LISTS);
  revocation[0] = listEpoch;
  const iat = Math.floor(NOW / 1000) - 60;
  return signJwt({ typ: TYP_STATUS_MANIFEST, kid }, {
    iss: ISSUER, sub: PLATFORM, epoch, iat, exp: iat + 900, epochSeconds: 300,
    lists: { base: `https://id.example.gov/status/${PLATFORM}`, count: LISTS, listSize: 131_072, revocation: encodeListEpochs(revocation), suspension: encodeListEpochs(new Uint32Array(LISTS)) },
    ...over,
  }, signer);
}

async function main(): Promise<void> {
  const f = await makeFixture();
  const cases = await forgeryCases(f);
  mkdirSync(DIR, { recursive: true });
  for (const file of readdirSync(DIR)) if (file.endsWith('.json')) rmSync(join(DIR, file));
  const write = (name: string, body: Record<string, unknown>) => writeFileSync(join(DIR, `${slug(name)}.json`), `${JSON.stringify({ description: name, ...body }, null, 2)}\n`);

  const valid = cases.find((c) => c.expect === 'ok')!.presentation;
  const other = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  writeFileSync(join(DIR, '_context.json'), `${JSON.stringify({
    comment: 'Shared context of the forgery vectors: the trusted issuer, the platform, the request, the clock, and a good status list (index 7 not set).',
    issuer: ISSUER, kid: f.kid, issuerJwk: f.issuerJwk, platform: PLATFORM, origin: ORIGIN, nonce: NONCE, now: NOW,
    requestedClaims: ['ageOver18', 'region'], statusListUrl: LIST_URL, goodStatusList: await statusList(f.issuerSigner, f.kid, { epoch: GOOD_LIST_EPOCH }),
    goodManifest: await manifest(f.issuerSigner, f.kid, GOOD_EPOCH, GOOD_LIST_EPOCH), nextManifest: await manifest(f.issuerSigner, f.kid, NEXT_EPOCH, NEXT_EPOCH),
  }, null, 2)}\n`);

  for (const c of cases) write(c.name, { kind: 'presentation', expect: c.expect, ...(c.context ? { context: c.context } : {}), presentation: c.presentation });

  // The HTTP service's own input handling (the engine never sees these bodies).
  const body = (o: unknown) => ({ body: JSON.stringify(o) });
  const vp = { internet_id: [valid] };
  write('body is not JSON', { kind: 'http-body', expect: 'ERR_INPUT_INVALID', status: 400, body: '{"requestId": "r", ' });
  write('body is a JSON array', { kind: 'http-body', expect: 'ERR_INPUT_INVALID', status: 400, ...body([1, 2]) });
  write('body nested 5000 deep', { kind: 'http-body', expect: 'ERR_INPUT_INVALID', status: 400, body: `{"requestId":"r","vp_token":${'['.repeat(5000)}${']'.repeat(5000)}}` });
  write('body is not UTF-8', { kind: 'http-body', expect: 'ERR_INPUT_INVALID', status: 400, bodyBase64: Buffer.concat([Buffer.from('{"requestId":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]).toString('base64') });
  write('requestId is a huge number', { kind: 'http-body', expect: 'ERR_INPUT_INVALID', status: 400, body: `{"requestId":1e400,"origin":"${ORIGIN}","vp_token":${JSON.stringify(vp)}}` });
  write('vp_token with two presentations', { kind: 'http-body', expect: 'ERR_INPUT_INVALID', status: 400, ...body({ requestId: 'r', origin: ORIGIN, vp_token: { internet_id: [valid, valid] } }) });
  write('vp_token under another credential id', { kind: 'http-body', expect: 'ERR_INPUT_INVALID', status: 400, ...body({ requestId: 'r', origin: ORIGIN, vp_token: { pid: [valid] } }) });
  write('body larger than the limit', { kind: 'http-body', expect: 'ERR_TOKEN_TOO_LARGE', status: 413, oversizeBytes: 1_000_000 });
  write('origin is not a string', { kind: 'http-body', expect: 'ERR_INPUT_INVALID', status: 400, ...body({ requestId: 'r', origin: 7, vp_token: vp }) });

  // Protocol-level cases that need a request made by the verifier.
  write('replayed nonce (the same answer twice)', { kind: 'replay', expect: 'ERR_NONCE_REPLAYED', presentation: valid });
  write('unknown request id', { kind: 'unknown-request', expect: 'ERR_NONCE_REPLAYED', presentation: valid });
  write('presented from another origin than the KB-JWT names', { kind: 'presentation', expect: 'ERR_KB_AUDIENCE_INVALID', context: { origin: 'https://shop-b.example' }, presentation: valid });

  // Status lists from the network: the manifest names list 0 at a newer epoch, and what arrives for it is
  // rejected, counted, and the previous good list kept.
  const otherSigner = webCryptoSigner(other.privateKey, 'ES256');
  write('status list signed by another key', { kind: 'status-list', expect: 'ERR_SIGNATURE_INVALID', list: await statusList(otherSigner, f.kid, { revoked: [7] }) });
  write('status list too short', { kind: 'status-list', expect: 'ERR_STATUS_LIST_INVALID', list: await statusList(f.issuerSigner, f.kid, { length: 1024 }) });
  write('status list of another purpose', { kind: 'status-list', expect: 'ERR_STATUS_LIST_INVALID', list: await statusList(f.issuerSigner, f.kid, { purpose: 'suspension', revoked: [7] }) });
  write('status list of an older epoch than the manifest names (rollback)', { kind: 'status-list', expect: 'ERR_ROLLBACK', list: await statusList(f.issuerSigner, f.kid, { epoch: GOOD_LIST_EPOCH, revoked: [7] }) });
  write('status list of another epoch than the manifest names', { kind: 'status-list', expect: 'ERR_STATUS_LIST_INVALID', list: await statusList(f.issuerSigner, f.kid, { epoch: NEXT_EPOCH + 1, revoked: [7] }) });
  write('status list without an epoch', { kind: 'status-list', expect: 'ERR_STATUS_LIST_INVALID', list: await statusList(f.issuerSigner, f.kid, { epoch: 'x' as unknown as number, revoked: [7] }) });

  // Manifests from the network: rejected, counted, the held manifest kept.
  write('manifest of an older epoch (rollback), lists unchanged', { kind: 'status-manifest', expect: 'ERR_ROLLBACK', manifest: await manifest(f.issuerSigner, f.kid, GOOD_EPOCH - 1, GOOD_LIST_EPOCH) });
  write('manifest whose list goes back to an older epoch', { kind: 'status-manifest', expect: 'ERR_ROLLBACK', manifest: await manifest(f.issuerSigner, f.kid, NEXT_EPOCH, GOOD_LIST_EPOCH - 1) });
  write('manifest of the same epoch with other bytes', { kind: 'status-manifest', expect: 'ERR_ROLLBACK', manifest: await manifest(f.issuerSigner, f.kid, GOOD_EPOCH, GOOD_LIST_EPOCH, { epochSeconds: 301 }) });
  write('manifest for another platform', { kind: 'status-manifest', expect: 'ERR_STATUS_MANIFEST_INVALID', manifest: await manifest(f.issuerSigner, f.kid, NEXT_EPOCH, NEXT_EPOCH, { sub: 'shop-b' }) });
  write('manifest expired', { kind: 'status-manifest', expect: 'ERR_STATUS_MANIFEST_INVALID', manifest: await manifest(f.issuerSigner, f.kid, NEXT_EPOCH, NEXT_EPOCH, { iat: Math.floor(NOW / 1000) - 1000, exp: Math.floor(NOW / 1000) - 100 }) });
  write('manifest valid longer than an hour', { kind: 'status-manifest', expect: 'ERR_STATUS_MANIFEST_INVALID', manifest: await manifest(f.issuerSigner, f.kid, NEXT_EPOCH, NEXT_EPOCH, { exp: Math.floor(NOW / 1000) + 7200 }) });
  write('manifest naming a list newer than itself', { kind: 'status-manifest', expect: 'ERR_STATUS_MANIFEST_INVALID', manifest: await manifest(f.issuerSigner, f.kid, NEXT_EPOCH, NEXT_EPOCH + 1) });
  write('manifest signed by another key', { kind: 'status-manifest', expect: 'ERR_SIGNATURE_INVALID', manifest: await manifest(otherSigner, f.kid, NEXT_EPOCH, NEXT_EPOCH) });
  write('manifest with a duplicate member', { kind: 'status-manifest', expect: 'ERR_JWT_MALFORMED', manifest: await duplicateMember(f.issuerSigner, f.kid, await manifest(f.issuerSigner, f.kid, NEXT_EPOCH, NEXT_EPOCH)) });
  write('status list under another URL', { kind: 'status-list', expect: 'ERR_STATUS_LIST_INVALID', list: await statusList(f.issuerSigner, f.kid, { id: `${LIST_URL}x`, revoked: [7] }) });
  const good = await statusList(f.issuerSigner, f.kid, { revoked: [7] });
  write('status list truncated', { kind: 'status-list', expect: 'ERR_JWT_MALFORMED', list: good.slice(0, good.length - 40) });
  console.log(`wrote ${readdirSync(DIR).length - 1} vectors to ${DIR}`);
}

/** Re-signs a JWT whose payload repeats its `epoch` member (JSON.parse would keep the last one). */
async function duplicateMember(signer: JwsSigner, kid: string, jwt: string): Promise<string> {
  const payload = Buffer.from(jwt.split('.')[1]!, 'base64url').toString();
  const twice = payload.replace('{', '{"epoch":999,');
  const header = Buffer.from(JSON.stringify({ typ: TYP_STATUS_MANIFEST, kid, alg: 'ES256' })).toString('base64url');
  const input = `${header}.${Buffer.from(twice).toString('base64url')}`;
  return `${input}.${Buffer.from(await signer.sign(new TextEncoder().encode(input))).toString('base64url')}`;
}

await main();
