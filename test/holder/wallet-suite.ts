/**
 * The wallet behaviour suite. The same scenarios run in Node (wallet.test.ts) and inside headless
 * Chromium (wallet-browser.test.ts, bundled with esbuild): no node:* imports, no node:assert.
 */
import { buildDcApiRequest, parseSdJwt, verifyInternetIdPresentation, type ClaimName, type Jwk } from '@maskid/core';
import type { IndexedDbStorage, Wallet } from '@maskid/holder';

/** What the suite needs from its host. */
export interface SuiteEnv {
  issuerUrl: string;
  /** platform id → its registered origin. */
  origins: Record<string, string>;
  /** A fresh wallet with empty storage. */
  newWallet(): Promise<Wallet>;
  /** Enrols a new person and returns an offer for them. */
  offer(): Promise<{ uri: string; txCode: string }>;
  /** Registers one more platform at the issuer (as an operator would with `platform add`). */
  addPlatform(id: string): Promise<void>;
  /** Requests the issuer received since the last reset, as `METHOD /path`. */
  requestLog(): Promise<string[]>;
  resetLog(): Promise<void>;
}

export type Scenario = (env: SuiteEnv) => Promise<void>;

/** Checks that every private key the wallets stored is a non-extractable CryptoKey; returns how many. */
export async function countNonExtractableKeys(storages: readonly IndexedDbStorage[]): Promise<number> {
  let n = 0;
  for (const s of storages) {
    for (const k of await s.keys('key:')) {
      const entry = await s.get<{ privateKey: CryptoKey }>(k);
      if (!(entry?.privateKey instanceof CryptoKey) || entry.privateKey.extractable) throw new Error(`${k} is extractable or not a CryptoKey`);
      n++;
    }
  }
  return n;
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function rejectsWith(p: Promise<unknown>, code: string, what: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    check((e as { code?: string }).code === code, `${what}: expected ${code}, got ${(e as { code?: string }).code ?? String(e)}`);
    return;
  }
  throw new Error(`check failed: ${what}: expected ${code}, but it succeeded`);
}

async function issuerKey(env: SuiteEnv): Promise<(iss: string, kid: string) => Jwk> {
  const doc = (await (await fetch(`${env.issuerUrl}/.well-known/did.json`)).json()) as { verificationMethod: { id: string; publicKeyJwk: Jwk }[] };
  return (_iss, kid) => {
    const vm = doc.verificationMethod.find((m) => m.id === kid);
    if (!vm) throw new Error('unknown key');
    return vm.publicKeyJwk;
  };
}

/**
 * The `~`/`.` separated segments of a presentation, each with its value when it is base64url JSON
 * (headers, payloads, disclosures) and without one otherwise (signatures).
 */
function segments(presentation: string): { raw: string; json?: { value: unknown } }[] {
  return presentation
    .split(/[~.]/)
    .filter(Boolean)
    .map((raw) => {
      try {
        return { raw, json: { value: JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(raw.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)))) } };
      } catch {
        return { raw };
      }
    });
}

/** Every value in a presentation that could single a person out: JSON leaves and raw segments. */
function values(presentation: string): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(add);
    else if (v && typeof v === 'object') Object.values(v).forEach(add);
    else out.add(String(v));
  };
  for (const { raw, json } of segments(presentation)) {
    out.add(raw);
    if (json) add(json.value);
  }
  return out;
}

/**
 * The length of a presentation with the numbers in its status entries (list number and index, each a
 * pseudorandom 1–7 digits per platform, in `id`, `statusListIndex` and `statusListCredential`) counted
 * as one character each: JSON segments are measured decoded, others (signatures) as they are.
 */
function lengthClass(presentation: string): number {
  const normalise = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(normalise);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const status = o['type'] === 'BitstringStatusListEntry';
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, status && typeof x === 'string' ? x.replace(/\d+/g, '#') : normalise(x)]));
  };
  let n = 0;
  for (const { raw, json } of segments(presentation)) n += json ? JSON.stringify(normalise(json.value)).length : raw.length;
  return n;
}

const DAY_ROUNDED = /^\d{4}-\d{2}-\d{2}T00:00:00Z$/;

export const scenarios: Record<string, Scenario> = {
  async 'accepts an offer and holds one credential per platform, each with its own key'(env) {
    const wallet = await env.newWallet();
    const offer = await env.offer();
    const held = await wallet.acceptOffer(offer.uri, { pin: offer.txCode });
    const platforms = (await wallet.platforms()).map((p) => p.id).sort();
    check(
      Object.keys(env.origins).every((id) => platforms.includes(id)),
      'the registry lists the platforms',
    );
    check(
      held
        .map((c) => c.platform)
        .sort()
        .join() === platforms.join(),
      `one credential per platform (${held.map((c) => c.platform)})`,
    );
    const creds = await wallet.credentials();
    check(creds.length === platforms.length, 'credentials() lists them');
    check(new Set(creds.map((c) => c.keyId)).size === creds.length, 'a fresh key per credential');
    check(new Set(creds.map((c) => c.maskedId)).size === creds.length, 'a different masked ID per platform');
    const cnf = new Set(creds.map((c) => JSON.stringify((parseSdJwt(c.sdJwt).jwt.payload['cnf'] as { jwk: Jwk }).jwk)));
    check(cnf.size === creds.length, 'credentials bound to different keys');
    check((await wallet.platforms()).length === platforms.length, 'the verified registry is stored');
    check(typeof (await wallet.lastRefresh()) === 'string', 'last refresh recorded');
  },

  async 'refuses a wrong PIN and an offer from an untrusted issuer'(env) {
    const wallet = await env.newWallet();
    const offer = await env.offer();
    const wrong = String((Number(offer.txCode) + 1) % 1_000_000).padStart(6, '0');
    await rejectsWith(wallet.acceptOffer(offer.uri, { pin: wrong }), 'ERR_INPUT_INVALID', 'wrong PIN');
    const evil = offer.uri.replace(encodeURIComponent(env.issuerUrl), encodeURIComponent('https://evil.example'));
    await rejectsWith(wallet.acceptOffer(evil, { pin: offer.txCode }), 'ERR_ISSUER_UNTRUSTED', 'untrusted issuer');
    await rejectsWith(wallet.acceptOffer('https://not-an-offer', { pin: '123456' }), 'ERR_INPUT_INVALID', 'not an offer URI');
    await wallet.acceptOffer(offer.uri, { pin: offer.txCode });
    await rejectsWith(wallet.acceptOffer(offer.uri, { pin: offer.txCode }), 'ERR_STATE_INVALID', 'a spent offer by reference');
    // The same offer object passed by value is accepted too.
    const next = await env.offer();
    const reference = new URLSearchParams(next.uri.slice(next.uri.indexOf('?') + 1)).get('credential_offer_uri')!;
    const byValue = `openid-credential-offer://?credential_offer=${encodeURIComponent(await (await fetch(reference)).text())}`;
    check((await wallet.acceptOffer(byValue, { pin: next.txCode })).length > 0, 'an offer by value');
  },

  async 'presents exactly the requested claims, verifiable, and refuses what the platform may not ask'(env) {
    const wallet = await env.newWallet();
    const offer = await env.offer();
    await wallet.acceptOffer(offer.uri, { pin: offer.txCode });
    const [platform, origin] = Object.entries(env.origins)[0]!;
    const nonce = 'nonce-' + crypto.randomUUID();
    const response = await wallet.present(buildDcApiRequest(nonce, ['ageOver18']), { origin });
    check(response.protocol === 'openid4vp-v1-unsigned', 'DC API protocol');
    const vp = response.data.vp_token.internet_id[0];
    const r = await verifyInternetIdPresentation(vp, { issuerKey: await issuerKey(env), nonce, audiences: [`origin:${origin}`], platform, requestedClaims: ['ageOver18'] });
    check(r.verified, `presentation verifies (${!r.verified ? r.error.code : ''})`);
    check(parseSdJwt(vp).disclosures.length === 1, 'only one disclosure');
    await rejectsWith(wallet.present(buildDcApiRequest(nonce, ['givenName' as ClaimName]), { origin }), 'ERR_CLAIM_NOT_ALLOWED', 'claim outside the registration');
    await rejectsWith(wallet.present(buildDcApiRequest(nonce, ['ageOver18']), { origin: 'https://unregistered.example' }), 'ERR_PLATFORM_MISMATCH', 'unknown origin');
    await rejectsWith(wallet.present(buildDcApiRequest(nonce, ['ageOver18']), { origin: origin + '/' }), 'ERR_PLATFORM_MISMATCH', 'origin must match exactly');
    await rejectsWith(wallet.present({ protocol: 'openid4vp', data: {} }, { origin }), 'ERR_DCQL_INVALID', 'another protocol');
    const log = await wallet.shareLog();
    check(log.length === 1 && log[0]!.platform === platform && log[0]!.claims.join() === 'ageOver18', 'the sharing log records what was shared with whom');
  },

  async 'two presentations of one person to two platforms share no value that another person does not share too'(env) {
    const [a, b] = Object.entries(env.origins);
    const present = async (wallet: Wallet, [, origin]: [string, string]) => {
      const nonce = 'nonce-' + crypto.randomUUID();
      return (await wallet.present(buildDcApiRequest(nonce, ['ageOver18']), { origin })).data.vp_token.internet_id[0];
    };
    const alice = await env.newWallet();
    const bob = await env.newWallet();
    for (const w of [alice, bob]) {
      const o = await env.offer();
      await w.acceptOffer(o.uri, { pin: o.txCode });
    }
    const aliceA = await present(alice, a!);
    const aliceB = await present(alice, b!);
    const bobB = await present(bob, b!);
    const va = values(aliceA);
    const vb = values(aliceB);
    const population = values(bobB);
    // The KB-JWT's iat is when the person signed in (behaviour, not a property of the credential): two
    // sign-ins within one second share it, and CI once saw exactly that.
    const kbIat = (p: string) => String((segments(p).at(-2)?.json?.value as { iat?: unknown } | undefined)?.iat);
    const signedAt = new Set([kbIat(aliceA), kbIat(aliceB)]);
    check(
      [...signedAt].every((v) => /^\d{10}$/.test(v)),
      `the KB-JWT iat is read: ${[...signedAt].join(', ')}`,
    );
    const shared = [...va].filter((v) => vb.has(v) && !population.has(v) && !DAY_ROUNDED.test(v) && !signedAt.has(v));
    check(shared.length === 0, `values linking one person across platforms: ${shared.join(', ')}`);
    // Length class: same claims give presentations whose lengths differ only by the platform id and the
    // status numbers (whose digits alone once made two people's lengths differ by 16 characters).
    const [la, lb, lpop] = [lengthClass(aliceA), lengthClass(aliceB), lengthClass(bobB)];
    check(lb === lpop && Math.abs(la - lpop) < 64, `length classes (status numbers counted as one digit): ${la} ${lb} ${lpop}`);
  },

  async 'refresh() fetches credentials for platforms registered later'(env) {
    const wallet = await env.newWallet();
    const offer = await env.offer();
    await wallet.acceptOffer(offer.uri, { pin: offer.txCode });
    const before = (await wallet.credentials()).length;
    const id = `late-${Math.floor(Math.random() * 1e9)}`;
    await env.addPlatform(id);
    const held = await wallet.refresh();
    check(
      held.some((c) => c.platform === id),
      "the new platform's credential arrives with the next refresh",
    );
    check((await wallet.credentials()).length === before + 1, 'one more credential held');
    check(
      (await wallet.platforms()).some((p) => p.id === id),
      'the registry includes the new platform',
    );
  },

  async "the issuer's request log during refresh() is the same whatever sites were visited"(env) {
    const wallet = await env.newWallet();
    const offer = await env.offer();
    await wallet.acceptOffer(offer.uri, { pin: offer.txCode });
    const origins = Object.values(env.origins);
    await env.resetLog();
    await wallet.refresh();
    const quiet = await env.requestLog();
    for (let i = 0; i < 3; i++) await wallet.present(buildDcApiRequest('nonce-' + crypto.randomUUID(), ['ageOver18']), { origin: origins[0]! });
    await env.resetLog();
    await wallet.refresh();
    const afterOne = await env.requestLog();
    for (const origin of origins) await wallet.present(buildDcApiRequest('nonce-' + crypto.randomUUID(), ['ageOver18']), { origin });
    await env.resetLog();
    await wallet.refresh();
    const afterAll = await env.requestLog();
    check(
      quiet.length > 0 && quiet.join('\n') === afterOne.join('\n') && quiet.join('\n') === afterAll.join('\n'),
      `refresh logs differ:\n${quiet.join(' ')}\n${afterOne.join(' ')}\n${afterAll.join(' ')}`,
    );
    await env.resetLog();
    await wallet.present(buildDcApiRequest('nonce-' + crypto.randomUUID(), ['ageOver18']), { origin: origins[1]! });
    check((await env.requestLog()).length === 0, 'presenting contacts the issuer 0 times');
    const fresh = await wallet.credentials();
    check(fresh.length === (await wallet.platforms()).length, 'still one credential per registered platform after refreshes');
  },
};
