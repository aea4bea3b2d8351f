#!/usr/bin/env node
// `npm run demo`: the maskid story in one run, with a throw-away development issuer on localhost.
//
//   1. init an issuer (did:web, ES256 key, K_mask, blind-index and status-index keys) and serve it
//   2. enrol a person, register two platforms, publish the status lists
//   3. the person's wallet accepts an OpenID4VCI offer (PIN): one credential per platform, fresh keys
//   4. sign in to both platforms showing only what each asked for: two unrelated masked IDs
//   5. revoke on one platform, publish the epoch: that platform refuses, the other still accepts
//
// Everything runs against a temporary data directory (removed at the end unless --keep is given).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import {
  Issuer, loadKek, EnrollmentService, PlatformService, StatusService, Openid4vciService, createIssuerApp, nationalIdCheckChar,
} from '@maskid/issuer';
import { MemoryStorage, Wallet, WebCryptoKeyStore } from '@maskid/holder';
import { BitstringStatusList, buildDcApiRequest, verifyInternetIdPresentation, verifyJwt } from '@maskid/core';

const keep = process.argv.includes('--keep');
const dataDir = mkdtempSync(join(tmpdir(), 'maskid-demo-'));
const step = (n, text) => console.log(`\n\x1b[1m${n}. ${text}\x1b[0m`);
const show = (label, value) => console.log(`   ${label.padEnd(22)} ${value}`);
const freePort = () => new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); }); });

const port = await freePort();
const issuerUrl = `http://localhost:${port}`;
const issuer = await Issuer.open({ dataDir, kek: loadKek({ dev: true }), dev: true }, true);
let server;
try {
  step(1, 'Initialise and serve a development issuer');
  const { settings } = await issuer.init({ url: issuerUrl });
  let requests = 0;
  server = createIssuerApp(issuer, { onRequest: () => { requests++; } }).listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  show('issuer DID', settings.did);
  show('serving', `${issuerUrl}/.well-known/did.json, /platforms, /status/…, OpenID4VCI`);

  step(2, 'Enrol a person, register two platforms, publish the status lists');
  const first17 = '44030420010915123';
  const { networkNumber } = await new EnrollmentService(issuer).enroll({
    nationalId: first17 + nationalIdCheckChar(first17), familyName: '李', givenName: '小龙', birthDate: '2001-09-15', gender: 'M', region: '44',
  });
  show('network number', `${networkNumber}  (never shown to platforms)`);
  const platforms = { video: 'http://localhost:3001', forum: 'http://localhost:3002' };
  await new PlatformService(issuer).add({ id: 'video', name: 'Video Site', origins: [platforms.video], claims: ['ageOver18', 'region'] });
  await new PlatformService(issuer).add({ id: 'forum', name: 'Community Forum', origins: [platforms.forum], claims: ['ageOver18'] });
  await new StatusService(issuer).publish({});
  show('platforms', 'video (ageOver18, region), forum (ageOver18)');

  step(3, 'The wallet accepts an offer: one credential per platform, each with a fresh key');
  const offer = await new Openid4vciService(issuer).createOffer(networkNumber);
  show('offer', `${offer.uri.slice(0, 72)}…`);
  show('PIN (other channel)', offer.txCode);
  const storage = new MemoryStorage();
  const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [issuerUrl] });
  const held = await wallet.acceptOffer(offer.uri, { pin: offer.txCode });
  for (const c of held) show(`${c.platform} credential`, `${c.sdJwt.length} chars, valid until ${c.validUntil.slice(0, 10)}`);

  // What a platform's verifier does, offline: issuer key from the DID document, and every list named
  // in the platform's signed manifest, fetched ahead of time (never per login).
  const didDoc = await (await fetch(`${issuerUrl}/.well-known/did.json`)).json();
  const issuerKey = (_iss, kid) => didDoc.verificationMethod.find((m) => m.id === kid).publicKeyJwk;
  let lists = new Map();
  const fetchLists = async () => {
    lists = new Map();
    for (const platform of Object.keys(platforms)) {
      const manifest = await verifyJwt(await (await fetch(`${issuerUrl}/status/${platform}/manifest`)).text(), { expectedTyp: 'maskid-status-manifest+jwt', key: (h) => issuerKey(undefined, h.kid) });
      for (const { url } of manifest.payload.lists) {
        const { payload } = await verifyJwt(await (await fetch(url)).text(), { expectedTyp: 'vc+jwt', key: (h) => issuerKey(undefined, h.kid) });
        lists.set(url, BitstringStatusList.decode(payload.credentialSubject.encodedList));
      }
    }
  };
  await fetchLists();
  const status = (entry) => {
    const list = lists.get(entry.statusListCredential);
    return list ? list.get(Number(entry.statusListIndex)) : true;
  };
  const login = async (platform, claims) => {
    const nonce = crypto.randomUUID();
    const origin = platforms[platform];
    const response = await wallet.present(buildDcApiRequest(nonce, claims), { origin });
    return verifyInternetIdPresentation(response.data.vp_token.internet_id[0], {
      issuerKey, nonce, audiences: [`origin:${origin}`], platform, requestedClaims: claims, status,
    });
  };

  step(4, 'Sign in to both platforms, showing only what each asked for');
  const before = requests;
  const video = await login('video', ['ageOver18', 'region']);
  const forum = await login('forum', ['ageOver18']);
  show('video sees', video.verified ? `masked ID ${video.maskedId}, ${JSON.stringify(video.claims)}` : video.error.code);
  show('forum sees', forum.verified ? `masked ID ${forum.maskedId}, ${JSON.stringify(forum.claims)}` : forum.error.code);
  show('same person?', video.maskedId === forum.maskedId ? 'LINKABLE (bug!)' : 'the platforms cannot tell: nothing in common');
  show('issuer requests', `${requests - before} during the sign-ins`);

  step(5, 'Revoke the person on the forum, publish the epoch, verifiers refresh their lists');
  await new StatusService(issuer).revoke({ networkNumber, platformId: 'forum' });
  const published = await new StatusService(issuer).publish({});
  await fetchLists();
  show('published', `epoch ${published.epoch}: ${published.lists} signed lists`);
  const again = await login('forum', ['ageOver18']);
  show('forum now says', again.verified ? 'accepted (bug!)' : `${again.error.code}: ${again.error.message}`);
  const stillVideo = await login('video', ['ageOver18', 'region']);
  show('video still says', stillVideo.verified ? 'accepted' : stillVideo.error.code);

  if (!video.verified || !forum.verified || again.verified || !stillVideo.verified || video.maskedId === forum.maskedId) process.exitCode = 1;
  console.log(`\nDone. Try the CLI yourself:  npx maskid-issuer --dev --data-dir ./maskid-data init --url http://localhost:8443`);
} finally {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r()));
  await issuer.close();
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
}
