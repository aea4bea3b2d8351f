/**
 * The issuer's did:web document resolves through `did-resolver` with `web-did-resolver` (https only),
 * served over TLS with a certificate made for the test and trusted in this process only.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, globalAgent, type Server } from 'node:https';
import { join } from 'node:path';
import { Resolver } from 'did-resolver';
import { getResolver } from 'web-did-resolver';
import { createIssuerApp, KeyService } from '@maskid/issuer';
import { verifyKeyList } from '@maskid/core';
import { freePort } from '../issuer-server.js';
import { tempDir, testIssuer } from '../helpers.js';

const openssl = spawnSync('openssl', ['version']).status === 0;

describe('did:web through did-resolver', { skip: !openssl && 'needs the openssl command to make a test certificate' }, () => {
  let server: Server;
  let t: Awaited<ReturnType<typeof testIssuer>>;
  let url: string;
  let cleanup: () => void;

  before(async () => {
    const port = await freePort();
    url = `https://localhost:${port}`;
    const tmp = tempDir('maskid-tls-');
    cleanup = tmp.cleanup;
    const [key, cert] = [join(tmp.dir, 'key.pem'), join(tmp.dir, 'cert.pem')];
    const r = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ]);
    assert.equal(r.status, 0, r.stderr?.toString());
    // web-did-resolver fetches with the default https agent: trust the test certificate there only.
    globalAgent.options.ca = readFileSync(cert);
    t = await testIssuer({ url });
    server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, createIssuerApp(t.issuer));
    await new Promise<void>((done) => server.listen(port, 'localhost', () => done()));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
    await t.cleanup();
    cleanup();
  });

  it('resolves to the document the issuer serves, whose keys are exactly those of the root-signed key list', async () => {
    const did = (await t.issuer.settings()).did;
    const resolved = await new Resolver(getResolver()).resolve(did);
    assert.equal(resolved.didResolutionMetadata.error, undefined, JSON.stringify(resolved.didResolutionMetadata));
    assert.equal(resolved.didDocument?.id, did);
    const keys = new KeyService(t.issuer);
    const list = await verifyKeyList((await keys.keyList())!, { rootThumbprint: (await keys.rootThumbprint())!, issuer: did });
    const methods = resolved.didDocument?.verificationMethod ?? [];
    assert.deepEqual(
      methods.map((m) => m.id),
      list.keys.map((k) => k.kid),
    );
    assert.deepEqual(
      resolved.didDocument?.assertionMethod,
      list.keys.map((k) => k.kid),
    );
    const missing = await new Resolver(getResolver()).resolve(`did:web:localhost%3A${new URL(url).port}:nobody`);
    assert.equal(missing.didResolutionMetadata.error, 'notFound', 'a path without a document does not resolve');
  });
});
