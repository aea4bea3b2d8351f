#!/usr/bin/env node
// `npm run demo`: the maskid story in one run, with a throw-away development issuer on localhost.
//
//   1. init an issuer (did:web, an ES256 key announced in a key list signed by an offline root key,
//      K_mask, blind-index and status-index keys) and serve it, publishing a status epoch every 15 s
//   2. enrol a person, register two platforms
//   3. the person's wallet accepts an OpenID4VCI offer (PIN): one credential per platform, fresh keys
//   4. sign in to both platforms showing only what each asked for: two unrelated masked IDs
//   5. revoke on one platform: at the next epoch that platform's verifier refuses, the other still accepts
//   6. the same in a browser: each platform gets its own verifier and demo site, a second person is
//      enrolled, the extension is built, and the URLs, the offer and the PIN are printed; everything
//      keeps running until Ctrl-C (`--once`: stop after printing, as the test does)
//
// Everything runs against a temporary data directory (removed at the end unless --keep is given).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import {
  Issuer,
  initIssuer,
  KeyService,
  loadKek,
  EnrollmentService,
  PlatformService,
  StatusService,
  Openid4vciService,
  createIssuerApp,
  nationalIdCheckChar,
  startEpochs,
} from '@maskid/issuer';
import { MemoryStorage, Wallet, WebCryptoKeyStore } from '@maskid/holder';
import { VerifierService, createVerifierListener, parseConfig } from '@maskid/verifier';
import { createDemoPlatform } from '@maskid/demo-platform';
import { buildExtension } from '@maskid/extension/build';

const keep = process.argv.includes('--keep');
const once = process.argv.includes('--once');
const REPO = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'maskid-demo-'));
const step = (n, text) => console.log(`\n\x1b[1m${n}. ${text}\x1b[0m`);
const show = (label, value) => console.log(`   ${label.padEnd(22)} ${value}`);
const freePort = (preferred = 0) =>
  new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(freePort()));
    s.listen(preferred, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const listen = (server, port) =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
const servers = [];

// Fixed ports when free (so a loaded extension keeps working across runs), any free port otherwise.
const port = await freePort(7310);
const sitePorts = { video: await freePort(3001), forum: await freePort(3002) };
const issuerUrl = `http://localhost:${port}`;
const issuer = await Issuer.open({ dataDir, kek: loadKek({ dev: true }), dev: true }, true);
// A short epoch so that a revocation can be watched in the browser: every running verifier refuses it
// within one epoch + one manifest poll + one fetch (production default: 5 minutes).
const EPOCH_SECONDS = 15;
let server;
let epochs;
try {
  step(1, 'Initialise and serve a development issuer');
  const { settings } = await initIssuer(issuer, { url: issuerUrl });
  const anchor = { url: issuerUrl, rootThumbprint: await new KeyService(issuer).rootThumbprint() };
  let requests = 0;
  server = createIssuerApp(issuer, {
    onRequest: () => {
      requests++;
    },
  }).listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  show('issuer DID', settings.did);
  show('trust anchor', `root key thumbprint ${anchor.rootThumbprint} (verifiers and the wallet are built with it)`);
  show('serving', `${issuerUrl}/keys, /platforms, /status/…, OpenID4VCI; a status epoch every ${EPOCH_SECONDS} s`);

  step(2, 'Enrol a person, register two platforms');
  const first17 = '44030420010915123';
  const { networkNumber } = await new EnrollmentService(issuer).enroll({
    nationalId: first17 + nationalIdCheckChar(first17),
    familyName: '李',
    givenName: '小龙',
    birthDate: '2001-09-15',
    gender: 'M',
    region: '44',
  });
  show('network number', `${networkNumber}  (never shown to platforms)`);
  const platforms = { video: `http://localhost:${sitePorts.video}`, forum: `http://localhost:${sitePorts.forum}` };
  await new PlatformService(issuer).add({ id: 'video', name: 'Video Site', origins: [platforms.video], claims: ['ageOver18', 'region'] });
  await new PlatformService(issuer).add({ id: 'forum', name: 'Community Forum', origins: [platforms.forum], claims: ['ageOver18'] });
  epochs = startEpochs(issuer, EPOCH_SECONDS, (e) => console.error(`   status epoch failed: ${e.message}`));
  await epochs.tick();
  show('platforms', 'video (ageOver18, region), forum (ageOver18)');

  step(3, 'The wallet accepts an offer: one credential per platform, each with a fresh key');
  const offer = await new Openid4vciService(issuer).createOffer(networkNumber);
  show('offer (by reference)', offer.uri);
  show('PIN (other channel)', offer.txCode);
  const storage = new MemoryStorage();
  const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [anchor] });
  const held = await wallet.acceptOffer(offer.uri, { pin: offer.txCode });
  for (const c of held) show(`${c.platform} credential`, `${c.sdJwt.length} chars, valid until ${c.validUntil.slice(0, 10)}`);

  // Each platform runs the real verifier: at start it reads the issuer's key list (checked against the
  // root thumbprint it was configured with) and the status manifest; after that it verifies from memory.
  const claimsOf = { video: ['ageOver18', 'region'], forum: ['ageOver18'] };
  const verifiers = {};
  for (const [id, origin] of Object.entries(platforms)) {
    verifiers[id] = await VerifierService.create(parseConfig({ platform: id, origins: [origin], trustedIssuers: [anchor], allowedClaims: claimsOf[id], dev: true }));
    await verifiers[id].start();
  }
  const login = async (platform, claims) => {
    const origin = platforms[platform];
    const { requestId, request } = await verifiers[platform].engine.createRequest(claims);
    const response = await wallet.present(request, { origin });
    return verifiers[platform].engine.verify(response.data.vp_token.internet_id[0], { requestId, origin });
  };

  step(4, 'Sign in to both platforms, showing only what each asked for');
  const before = requests;
  const video = await login('video', ['ageOver18', 'region']);
  const forum = await login('forum', ['ageOver18']);
  show('video sees', video.verified ? `masked ID ${video.maskedId}, ${JSON.stringify(video.claims)}` : video.error.code);
  show('forum sees', forum.verified ? `masked ID ${forum.maskedId}, ${JSON.stringify(forum.claims)}` : forum.error.code);
  show('same person?', video.maskedId === forum.maskedId ? 'LINKABLE (bug!)' : 'the platforms cannot tell: nothing in common');
  show('issuer requests', `${requests - before} during the sign-ins`);

  step(5, 'Revoke the person on the forum; the next epoch carries it to every verifier');
  await new StatusService(issuer).revoke({ networkNumber, platformId: 'forum' });
  const published = await new StatusService(issuer).publish({});
  await Promise.all(Object.values(verifiers).map((v) => v.status.refresh()));
  show('published', `epoch ${published.epoch}: ${published.lists} list(s) changed; a new manifest per platform carries the change (the verifiers fetch nothing else)`);
  const again = await login('forum', ['ageOver18']);
  show('forum now says', again.verified ? 'accepted (bug!)' : `${again.error.code}: ${again.error.message}`);
  const stillVideo = await login('video', ['ageOver18', 'region']);
  show('video still says', stillVideo.verified ? 'accepted' : stillVideo.error.code);

  if (!video.verified || !forum.verified || again.verified || !stillVideo.verified || video.maskedId === forum.maskedId) process.exitCode = 1;

  step(6, 'Now in a browser: two demo platforms with their own verifiers, and the wallet extension');
  for (const [id, origin] of Object.entries(platforms)) {
    const service = verifiers[id];
    const verifier = createHttpServer(createVerifierListener(service, { logLevel: 'warn' }));
    const verifierPort = await freePort(id === 'video' ? 8081 : 8082);
    await listen(verifier, verifierPort);
    const site = createHttpServer(
      createDemoPlatform({ name: id === 'video' ? 'Video Site' : 'Community Forum', origin, verifierUrl: `http://127.0.0.1:${verifierPort}`, claims: claimsOf[id] }),
    );
    await listen(site, sitePorts[id]);
    servers.push(site, verifier, {
      close: (cb) => {
        void service.stop().then(cb);
      },
    });
    show(`${id} site`, `${origin}  (verifier http://127.0.0.1:${verifierPort})`);
  }
  const first17b = '11010519900307123';
  const person = await new EnrollmentService(issuer).enroll({
    nationalId: first17b + nationalIdCheckChar(first17b),
    familyName: '王',
    givenName: '芳',
    birthDate: '1990-03-07',
    gender: 'F',
    region: '11',
  });
  const extensionDir = await buildExtension({ out: join(REPO, 'packages', 'extension', 'build'), trustedIssuers: [anchor] });
  show('extension', extensionDir);
  if (once) {
    // Nothing below would still exist: the servers stop and the data directory is removed now.
    console.log(`
   (--once: the issuer, the sites and the data directory stop here. Run \`npm run demo\` without --once
   to try the wallet in the browser: it prints the offer, the PIN and the sites to open.)`);
  }
  const browserOffer = once ? undefined : await new Openid4vciService(issuer).createOffer(person.networkNumber);
  if (browserOffer)
    console.log(`
   Load it: chromium → chrome://extensions → Developer mode → "Load unpacked" → the folder above
   (or start:  chromium --user-data-dir=$(mktemp -d) --load-extension=${extensionDir})
   Open the extension's popup, paste the offer and the PIN:

   offer  ${browserOffer.uri}
   PIN    ${browserOffer.txCode}

   Then open ${platforms.video} and ${platforms.forum} and press "Sign in with Internet ID":
   each site gets a different masked ID and only what it asked for. The wallet and the sites speak
   Simplified Chinese or English (the browser's language; the popup and each site have a switch).

   Revoke the person while you watch: the issuer publishes an epoch every ${EPOCH_SECONDS} s and each
   verifier polls the manifest as often, so the next sign-in is refused within about ${3 * EPOCH_SECONDS} s:
     npx maskid-issuer --dev --data-dir ${dataDir} revoke --network-number ${person.networkNumber}`);
  if (!once) {
    console.log('\n   Running until Ctrl-C …');
    await new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
} finally {
  epochs?.stop();
  for (const s of servers) {
    s.closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r()));
  await issuer.close();
  if (!keep) rmSync(dataDir, { recursive: true, force: true });
}
