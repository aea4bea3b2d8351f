#!/usr/bin/env node
// `npm run demo`: the issuer's whole story in one run, with a throw-away development issuer.
//
//   1. init an issuer (did:web, ES256 key, K_mask, blind-index and status-index keys)
//   2. enrol a person, register two platforms
//   3. issue one credential per platform to two fresh holder keys (did:jwk)
//   4. present "over 18" to each platform: two different masked IDs, verified offline
//   5. revoke on one platform, publish the status lists, and watch that platform refuse
//
// Everything runs in-process against a temporary data directory (removed at the end unless
// --keep is given). Later parts of the system (HTTP issuer, wallet, verifier) extend this demo.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Issuer, loadKek, EnrollmentService, PlatformService, CredentialService, StatusService, nationalIdCheckChar,
} from '@maskid/issuer';
import {
  BitstringStatusList, decodeJwt, didJwkFor, presentInternetIdCredential, verifyInternetIdPresentation, verifyJwt, webCryptoSigner,
} from '@maskid/core';

const keep = process.argv.includes('--keep');
const dataDir = mkdtempSync(join(tmpdir(), 'maskid-demo-'));
const step = (n, text) => console.log(`\n\x1b[1m${n}. ${text}\x1b[0m`);
const show = (label, value) => console.log(`   ${label.padEnd(22)} ${value}`);

const issuer = await Issuer.open({ dataDir, kek: loadKek({ dev: true }), dev: true }, true);
try {
  step(1, 'Initialise a development issuer');
  const { settings } = await issuer.init({ url: 'http://localhost:8443' });
  const { jwk: issuerJwk } = await issuer.signer();
  show('issuer DID', settings.did);
  show('signing key', `${settings.did}#${settings.kid}`);
  show('data directory', dataDir);

  step(2, 'Enrol a person and register two platforms');
  const first17 = '44030420010915123';
  const { networkNumber } = await new EnrollmentService(issuer).enroll({
    nationalId: first17 + nationalIdCheckChar(first17), familyName: '李', givenName: '小龙', birthDate: '2001-09-15', gender: 'M', region: '44',
  });
  show('network number', `${networkNumber}  (the person's printable number; never shown to platforms)`);
  const platforms = new PlatformService(issuer);
  await platforms.add({ id: 'video', name: 'Video Site', origins: ['http://localhost:3001'], claims: ['ageOver18', 'region'] });
  await platforms.add({ id: 'forum', name: 'Community Forum', origins: ['http://localhost:3002'], claims: ['ageOver18'] });
  show('platforms', 'video (ageOver18, region), forum (ageOver18)');

  step(3, 'Issue one SD-JWT credential per platform, each bound to a fresh holder key');
  const credentials = new CredentialService(issuer);
  const wallet = {};
  for (const platform of ['video', 'forum']) {
    const kp = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const holder = didJwkFor(await crypto.subtle.exportKey('jwk', kp.publicKey));
    const c = await credentials.issue({ networkNumber, platformId: platform, holder });
    wallet[platform] = { sdJwt: c.sdJwt, signer: webCryptoSigner(kp.privateKey, 'ES256') };
    show(`${platform} credential`, `${c.sdJwt.length} chars, valid ${c.validFrom.slice(0, 10)} – ${c.validUntil.slice(0, 10)}, status index ${c.statusListIndex}`);
  }

  const publish = async () => new StatusService(issuer).publish({});
  let published = await publish();
  const statusLookup = async (entry) => {
    // What a verifier does with its cached, signature-checked lists.
    const file = join(published.outDir, entry.statusListCredential.split('/status/')[1] + '.jwt');
    const { payload } = await verifyJwt(readFileSync(file, 'utf8'), { expectedTyp: 'vc+jwt', key: issuerJwk });
    return BitstringStatusList.decode(payload.credentialSubject.encodedList).get(Number(entry.statusListIndex));
  };
  const login = async (platform, origin, claims) => {
    const nonce = crypto.randomUUID();
    const aud = `origin:${origin}`;
    const presentation = await presentInternetIdCredential(wallet[platform].sdJwt, { claims, kbSigner: wallet[platform].signer, nonce, aud });
    return verifyInternetIdPresentation(presentation, {
      issuerKey: (iss) => { if (iss !== settings.did) throw new Error('untrusted'); return issuerJwk; },
      nonce, audiences: [aud], platform, requestedClaims: claims, status: statusLookup,
    });
  };

  step(4, 'Sign in to both platforms, showing only what each asked for');
  const video = await login('video', 'http://localhost:3001', ['ageOver18', 'region']);
  const forum = await login('forum', 'http://localhost:3002', ['ageOver18']);
  show('video sees', video.verified ? `masked ID ${video.maskedId}, ${JSON.stringify(video.claims)}` : video.error.code);
  show('forum sees', forum.verified ? `masked ID ${forum.maskedId}, ${JSON.stringify(forum.claims)}` : forum.error.code);
  show('same person?', video.maskedId === forum.maskedId ? 'LINKABLE (bug!)' : 'the platforms cannot tell: the masked IDs share nothing');

  step(5, 'Revoke the person on the forum, publish the epoch, sign in again');
  await new StatusService(issuer).revoke({ networkNumber, platformId: 'forum' });
  published = await publish();
  show('published', `epoch ${published.epoch}: ${published.lists} signed lists, manifest per platform`);
  const again = await login('forum', 'http://localhost:3002', ['ageOver18']);
  show('forum now says', again.verified ? 'accepted (bug!)' : `${again.error.code}: ${again.error.message}`);
  const stillVideo = await login('video', 'http://localhost:3001', ['ageOver18', 'region']);
  show('video still says', stillVideo.verified ? 'accepted' : stillVideo.error.code);
  const manifest = decodeJwt(readFileSync(join(published.outDir, 'forum', 'manifest.jwt'), 'utf8')).payload;
  show('forum manifest', `${manifest.lists.length} list URLs, ttl ${manifest.ttl / 1000} s`);

  if (!video.verified || !forum.verified || again.verified || !stillVideo.verified || video.maskedId === forum.maskedId) process.exitCode = 1;
  console.log(`\nDone. Try the CLI yourself:  npx maskid-issuer --dev --data-dir ./maskid-data init --url http://localhost:8443`);
} finally {
  await issuer.close();
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
}
