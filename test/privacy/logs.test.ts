/**
 * Personal data in logs and files after a whole run with the real binaries: `maskid-issuer` (init,
 * CSV enrolment with bad rows, duplicate, platform, publish, offer, serve, revoke, delete, audit) and
 * `maskid-verifier serve`, with a wallet fetching credentials and signing in, the platform asking for
 * the given name too. Every byte the processes wrote (stdout, stderr) and every file in the data
 * directory (SQLite database, WAL, journal, published lists) is scanned for the national IDs, names
 * (UTF-8, UTF-16, `\uXXXX`-escaped) and birth dates of everyone enrolled: none may appear in clear.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStorage, WebCryptoKeyStore, Wallet } from '@maskid/holder';
import { REPO_ROOT, TEST_DB_KIND, allFiles, makeNationalId, piiPatterns, scanForNeedles, tempDir } from '../helpers.js';
import { freePort } from '../issuer-server.js';

const ISSUER = join(REPO_ROOT, 'packages', 'issuer', 'bin', 'maskid-issuer.js');
const VERIFIER = join(REPO_ROOT, 'packages', 'verifier', 'bin', 'maskid-verifier.js');

const PEOPLE = [
  { family: '欧阳', given: '娜娜', birthDate: '1987-09-23', region: '44', gender: 'F' },
  { family: 'Wang', given: 'Xiaoming', birthDate: '1992-04-17', region: '11', gender: 'M' },
  { family: 'Müller-Zhang', given: 'Zoë', birthDate: '2001-12-30', region: '31', gender: 'X' },
  { family: '司马', given: '懿', birthDate: '1979-06-05', region: '32', gender: 'M' },
].map((p, i) => ({ ...p, nationalId: makeNationalId(p.birthDate, p.region, 300 + i) }));
/** Rows the CSV import must refuse: a wrong check character, a birth date that disagrees with the ID. */
const BAD = [
  {
    family: '错误',
    given: '校验',
    birthDate: '1990-01-01',
    region: '11',
    gender: 'F',
    nationalId: (() => {
      const id = makeNationalId('1990-01-01', '11', 7);
      return id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
    })(),
  },
  { family: 'Mismatch', given: 'Datum', birthDate: '1990-01-02', region: '11', gender: 'F', nationalId: makeNationalId('1985-05-05', '11', 8) },
];

describe('no personal data in logs or files after a full run', { skip: TEST_DB_KIND === 'postgres' && 'scans the SQLite files; the PostgreSQL pass does not use them' }, () => {
  let dir: string;
  let cleanup: () => void;
  const outputs: [string, Buffer][] = [];
  const daemons: ChildProcess[] = [];
  const env = { ...process.env, MASKID_LOG_LEVEL: 'debug' };

  const cli = (args: string[], expect = 0) => {
    const r = spawnSync(process.execPath, [ISSUER, '--dev', '--data-dir', join(dir, 'data'), ...args], { env });
    outputs.push([`maskid-issuer ${args[0]} stdout`, r.stdout], [`maskid-issuer ${args[0]} stderr`, r.stderr]);
    assert.equal(r.status, expect, `${args.join(' ')}: ${r.stderr.toString()}`);
    return r.stdout.toString();
  };
  const daemon = (name: string, bin: string, args: string[], ready: RegExp) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    daemons.push(child);
    const exited = new Promise<void>((r) =>
      child.on('exit', () => {
        outputs.push([`${name} stdout`, Buffer.concat(out)], [`${name} stderr`, Buffer.concat(err)]);
        r();
      }),
    );
    return {
      exited,
      stop: async () => {
        child.kill('SIGTERM');
        await exited;
      },
      ready: async () => {
        for (let i = 0; i < 600 && !ready.test(Buffer.concat(err).toString()); i++) await sleep(25);
        assert.match(Buffer.concat(err).toString(), ready);
      },
    };
  };

  before(() => ({ dir, cleanup } = tempDir('maskid-logs-')));
  after(() => {
    for (const d of daemons) d.kill('SIGKILL');
    cleanup();
  });

  it('finds no national ID, name or birth date in any process output, the SQLite files or the published lists', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const origin = 'https://video.example';
    cli(['init', '--url', url]);
    const csv = join(dir, 'people.csv');
    writeFileSync(
      csv,
      [
        'national_id,family_name,given_name,birth_date,gender,region',
        ...[...PEOPLE.slice(0, 3), ...BAD].map((p) => `${p.nationalId},${p.family},${p.given},${p.birthDate},${p.gender},${p.region}`),
      ].join('\n') + '\n',
    );
    const enrolled = JSON.parse(cli(['enroll', '--csv', csv, '--json'], 3)) as { networkNumbers: string[]; errors: { row: number; code: string }[] };
    assert.equal(enrolled.networkNumbers.length, 3);
    assert.deepEqual(enrolled.errors.map((e) => e.code).sort(), ['ERR_NATIONAL_ID_INVALID', 'ERR_NATIONAL_ID_INVALID']);
    cli(['enroll', '--csv', csv], 3); // text output, duplicates and bad rows listed
    // A CSV the parser refuses (a quote inside a field): its message must not quote the field.
    const broken = join(dir, 'broken.csv');
    writeFileSync(
      broken,
      `national_id,family_name,given_name,birth_date,gender,region\n${PEOPLE[1]!.nationalId},${PEOPLE[1]!.family}"${PEOPLE[1]!.given},x,${PEOPLE[1]!.birthDate},M,11\n`,
    );
    cli(['enroll', '--csv', broken], 1);
    cli(['enroll', '--csv', broken, '--json'], 1);
    const p4 = PEOPLE[3]!;
    const single = [
      'enroll',
      '--national-id',
      p4.nationalId,
      '--family-name',
      p4.family,
      '--given-name',
      p4.given,
      '--birth-date',
      p4.birthDate,
      '--gender',
      p4.gender,
      '--region',
      p4.region,
    ];
    const fourth = cli(single).trim();
    cli(single, 1); // duplicate
    cli(['enroll', '--national-id', BAD[0]!.nationalId, '--name', `${BAD[0]!.family} ${BAD[0]!.given}`, '--birth-date', BAD[0]!.birthDate, '--gender', 'F', '--region', '11'], 1);
    cli(['platform', 'add', '--id', 'video', '--name', 'Video', '--origin', origin, '--claims', 'ageOver18,region,givenName']);
    cli(['status', 'publish']);

    const anchorJson = JSON.parse(cli(['key', 'anchor', '--json'])) as { url: string; rootThumbprint: string };
    const anchor = { url: anchorJson.url, rootThumbprint: anchorJson.rootThumbprint };
    const issuer = daemon('maskid-issuer serve', ISSUER, ['--dev', '--data-dir', join(dir, 'data'), 'serve'], /serving/);
    await issuer.ready();
    const verifierPort = await freePort();
    const config = join(dir, 'verifier.json');
    writeFileSync(
      config,
      JSON.stringify({ platform: 'video', origins: [origin], trustedIssuers: [anchor], allowedClaims: ['ageOver18', 'region', 'givenName'], dev: true, port: verifierPort }),
    );
    const verifier = daemon('maskid-verifier serve', VERIFIER, ['serve', '--config', config], /listening/);
    await verifier.ready();
    const v = `http://127.0.0.1:${verifierPort}`;

    // Two people take their credentials and sign in, disclosing their given name to the platform.
    for (const networkNumber of [enrolled.networkNumbers[0]!, fourth]) {
      const offer = JSON.parse(cli(['offer', '--network-number', networkNumber, '--json'])) as { uri: string; txCode: string };
      const storage = new MemoryStorage();
      const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [anchor] });
      await wallet.acceptOffer(offer.uri, { pin: offer.txCode });
      await wallet.refresh();
      const req = (await (
        await fetch(`${v}/v1/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claims: ['ageOver18', 'givenName'] }) })
      ).json()) as { requestId: string; request: unknown };
      const response = await wallet.present(req.request, { origin });
      const ok = await fetch(`${v}/v1/presentations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ requestId: req.requestId, origin, vp_token: (response as { data: { vp_token: unknown } }).data.vp_token }),
      });
      const body = (await ok.json()) as { claims: { givenName?: string } };
      assert.equal(ok.status, 200, JSON.stringify(body));
      assert.ok(body.claims.givenName, 'the platform did receive a name (and must not log it)');
      // A replay and a mangled presentation: refused, and their log lines carry no personal data either.
      const vp = (response as { data: { vp_token: { internet_id: string[] } } }).data.vp_token.internet_id[0]!;
      for (const bad of [vp, vp.replace(/~[^~]+$/, '~x.y.z')]) {
        const r = await fetch(`${v}/v1/presentations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ requestId: req.requestId, origin, vp_token: { internet_id: [bad] } }),
        });
        assert.notEqual(r.status, 200);
      }
    }
    cli(['revoke', '--network-number', enrolled.networkNumbers[1]!]);
    cli(['delete', '--network-number', enrolled.networkNumbers[2]!]);
    cli(['status', 'publish']);
    cli(['audit', 'verify']);
    await verifier.stop();
    await issuer.stop();

    const needles: Record<string, Buffer[]> = {};
    for (const [i, p] of [...PEOPLE, ...BAD].entries()) {
      needles[`national ID #${i}`] = piiPatterns(p.nationalId);
      needles[`family name #${i}`] = piiPatterns(p.family);
      needles[`given name #${i}`] = piiPatterns(p.given);
      needles[`birth date #${i}`] = [...piiPatterns(p.birthDate), Buffer.from(p.birthDate.replaceAll('-', ''))];
    }
    const files = allFiles(join(dir, 'data'));
    assert.ok(
      files.some((f) => f.endsWith('issuer.sqlite')),
      'the database is scanned',
    );
    assert.ok(
      outputs.some(([n, c]) => n.startsWith('maskid-verifier') && c.toString().includes('"msg":"verification"')),
      'the verifier did log its verifications (debug level)',
    );
    // Control: the scan finds a value that is there (the CSV file itself, outside the data directory).
    assert.ok(scanForNeedles([['people.csv', readFileSync(csv)]], needles).length > 0, 'control: the scan sees names in the CSV');
    const found = scanForNeedles([...outputs, ...files.map((f) => [f, readFileSync(f)] as [string, Buffer])], needles);
    assert.deepEqual(found, []);
  });
});
