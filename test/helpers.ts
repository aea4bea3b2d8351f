/** Shared test helpers: temporary issuers, national IDs with valid check characters, holder keys. */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { didJwkFor, issueInternetIdCredential, webCryptoSigner, type Jwk, type JwsSigner, type PersonClaims } from '@maskid/core';
import { Issuer, KeyService, initIssuer, loadKek, nationalIdCheckChar, EnrollmentService, PlatformService, type InitOptions } from '@maskid/issuer';

/** The repository root (tests run from test/dist/...). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'maskid-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A valid national ID for a birth date (province 11 by default). */
export function makeNationalId(birthDate: string, province = '11', sequence = Math.floor(Math.random() * 1000)): string {
  const first17 = `${province}0105${birthDate.replaceAll('-', '')}${String(sequence).padStart(3, '0')}`;
  return first17 + nationalIdCheckChar(first17);
}

let counter = 0;
/** A valid, unique national ID (birth dates spread over 1950–2005). */
export function uniqueNationalId(): { nationalId: string; birthDate: string } {
  const n = counter++;
  const day = new Date(Date.UTC(1950, 0, 1) + ((n * 7919) % 20000) * 86_400_000).toISOString().slice(0, 10);
  return { nationalId: makeNationalId(day, '11', n % 1000), birthDate: day };
}

/** A holder key pair (ES256) with its did:jwk and a JWS signer. */
export interface Holder {
  did: string;
  jwk: Jwk;
  signer: JwsSigner;
  privateKey: CryptoKey;
}

export async function newHolder(): Promise<Holder> {
  const kp = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const jwk = (await crypto.subtle.exportKey('jwk', kp.publicKey)) as Jwk;
  return { did: didJwkFor(jwk), jwk, signer: webCryptoSigner(kp.privateKey, 'ES256'), privateKey: kp.privateKey };
}

/**
 * The PostgreSQL pass of `npm test` (scripts/run-tests.mjs) sets this: every test issuer then lives
 * in a fresh schema of that database instead of a SQLite file.
 */
export const TEST_POSTGRES_URL = process.env['MASKID_TEST_POSTGRES_URL'] || undefined;

/** Which database the issuer tests run on (for names and skip reasons). */
export const TEST_DB_KIND: 'sqlite' | 'postgres' = TEST_POSTGRES_URL ? 'postgres' : 'sqlite';

let schemaCounter = 0;
/**
 * The `--db` for a new test issuer: undefined (SQLite in the data directory) or, in the PostgreSQL
 * pass, a URL naming a fresh schema; `drop()` removes that schema.
 */
export function testDatabase(): { db: string | undefined; drop: () => Promise<void> } {
  if (!TEST_POSTGRES_URL) return { db: undefined, drop: async () => undefined };
  const schema = `t_${process.pid}_${Date.now().toString(36)}_${schemaCounter++}`;
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('schema', schema);
  return {
    db: url.toString(),
    drop: async () => {
      const ds = new DataSource({ type: 'postgres', url: TEST_POSTGRES_URL });
      await ds.initialize();
      try {
        await ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await ds.destroy();
      }
    },
  };
}

/** Opens a dev issuer on a data directory and optional `--db` (another process on the same database, a reopen). */
export function openDevIssuer(dataDir: string, db: string | undefined, create = false): Promise<Issuer> {
  return Issuer.open({ dataDir, kek: loadKek({ dev: true }), dev: true, ...(db ? { db } : {}) }, create);
}

/** An initialised dev issuer in a temporary directory (SQLite, or PostgreSQL in that pass). */
export async function testIssuer(init: Partial<InitOptions> = {}): Promise<{ issuer: Issuer; dir: string; db: string | undefined; cleanup: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  const database = testDatabase();
  const issuer = await openDevIssuer(dir, database.db, true);
  await initIssuer(issuer, { url: 'http://localhost:8443', ...init });
  return {
    issuer,
    dir,
    db: database.db,
    cleanup: async () => {
      await issuer.close();
      await database.drop();
      cleanup();
    },
  };
}

/** A full set of person claims (over 18), for credentials a test forges or builds by hand. */
export function sampleClaims(): PersonClaims {
  return {
    givenName: 'X',
    familyName: 'Y',
    birthDate: '1990-01-01',
    ageOver14: true,
    ageOver16: true,
    ageOver18: true,
    gender: 'male',
    region: '11',
    nationality: 'CN',
    realNameVerified: true,
  };
}

/** The trust anchor of an issuer (what verifiers and wallets are configured with). */
export async function trustAnchor(issuer: Issuer): Promise<{ url: string; rootThumbprint: string }> {
  const [s, rootThumbprint] = await Promise.all([issuer.settings(), new KeyService(issuer).rootThumbprint()]);
  return { url: s.url, rootThumbprint: rootThumbprint! };
}

/** Enrols one person (Zhang San unless given) and returns the network number. */
export async function enrollPerson(issuer: Issuer, overrides: Partial<{ familyName: string; givenName: string; birthDate: string; nationalId: string }> = {}): Promise<string> {
  const id = uniqueNationalId();
  const birthDate = overrides.birthDate ?? id.birthDate;
  const nationalId = overrides.nationalId ?? (overrides.birthDate ? makeNationalId(birthDate) : id.nationalId);
  const r = await new EnrollmentService(issuer).enroll({
    nationalId,
    familyName: overrides.familyName ?? 'Zhang',
    givenName: overrides.givenName ?? 'San',
    birthDate,
    gender: 'M',
    region: '11',
  });
  return r.networkNumber;
}

let platformPort = 3000 + Math.floor(Math.random() * 1000) * 5;
/** Registers a platform with the given id and claims (each gets its own origin: ports never repeat within a process). */
export async function addPlatform(issuer: Issuer, id: string, claims: string[] = ['ageOver18', 'region'], port = platformPort++) {
  return new PlatformService(issuer).add({ id, name: `Platform ${id}`, origins: [`http://localhost:${port}`], claims });
}

/** Every file below a directory (for raw scans). */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...allFiles(p));
    else out.push(p);
  }
  return out;
}

/** Loads JSON vectors from test/vectors/<name>/*.json. */
export function loadVectors<T>(name: string): { file: string; vector: T }[] {
  const dir = join(REPO_ROOT, 'test', 'vectors', name);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, vector: JSON.parse(readFileSync(join(dir, file), 'utf8')) as T }));
}

/** The MaskidError code a synchronous call throws, or 'no error'. */
export function thrownCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return 'no error';
}

/**
 * The byte forms under which a personal value could sit in a file or log: UTF-8, UTF-16LE, and
 * JSON's `\uXXXX` escapes (lower and upper case hex) of every non-ASCII character.
 */
export function piiPatterns(value: string): Buffer[] {
  const escaped = (upper: boolean) =>
    [...value]
      .map((ch) => {
        if (ch.charCodeAt(0) <= 127) return ch;
        const hex = ch.charCodeAt(0).toString(16).padStart(4, '0');
        return `\\u${upper ? hex.toUpperCase() : hex}`;
      })
      .join('');
  return [Buffer.from(value, 'utf8'), Buffer.from(value, 'utf16le'), Buffer.from(escaped(false)), Buffer.from(escaped(true))];
}

/** Which needles occur in which of the given named contents (files read by the caller, logs). */
export function scanForNeedles(contents: Iterable<[name: string, content: Buffer]>, needles: Record<string, Buffer[]>): string[] {
  const found: string[] = [];
  for (const [name, content] of contents) {
    for (const [what, list] of Object.entries(needles)) {
      if (list.some((n) => n.length > 0 && content.includes(n))) found.push(`${what} in ${name}`);
    }
  }
  return found;
}

/**
 * A credential forged by an attacker: the genuine credential's issuer, dates and status entries, re-signed
 * with the attacker's key under the `kid` made from the issuer, for another holder, masked ID and platform.
 */
export async function forgeFrom(
  genuineSdJwt: string,
  forge: { issuer?: string; kid: (issuer: string) => string; holder: Holder; maskedId: string; platform: string; key: CryptoKey },
): Promise<string> {
  const payload = JSON.parse(Buffer.from(genuineSdJwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  const issuer = forge.issuer ?? (payload['issuer'] as string);
  return issueInternetIdCredential(
    {
      issuer,
      kid: forge.kid(issuer),
      validFrom: payload['validFrom'] as string,
      validUntil: payload['validUntil'] as string,
      holder: { id: forge.holder.did, jwk: forge.holder.jwk },
      maskedId: forge.maskedId,
      platform: forge.platform,
      credentialStatus: payload['credentialStatus'] as never,
      claims: sampleClaims(),
    },
    webCryptoSigner(forge.key, 'ES256'),
  );
}

/** A deterministic PRNG (xorshift32) uniform in [0, 1), so a failing draw can be replayed. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}
