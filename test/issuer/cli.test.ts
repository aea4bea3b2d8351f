/** The real `maskid-issuer` binary, as the README shows it. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { presentInternetIdCredential, verifyInternetIdPresentation, type Jwk } from '@maskid/core';
import { REPO_ROOT, makeNationalId, newHolder, tempDir, testDatabase } from '../helpers.js';

const BIN = join(REPO_ROOT, 'packages', 'issuer', 'bin', 'maskid-issuer.js');

describe('maskid-issuer CLI', () => {
  let dir: string;
  let cleanup: () => void;
  let kek: string;
  // SQLite in the data directory, or (PostgreSQL pass) a fresh schema given the documented way: MASKID_DB.
  const database = testDatabase();
  const dbEnv: Record<string, string> = database.db ? { MASKID_DB: database.db } : {};
  const run = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [BIN, '--data-dir', join(dir, 'data'), ...args], { encoding: 'utf8', env: { ...process.env, MASKID_KEK_FILE: kek, ...dbEnv, ...env } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
  };

  before(() => {
    ({ dir, cleanup } = tempDir('maskid-cli-'));
    kek = join(dir, 'kek.txt');
    writeFileSync(kek, 'a long operator passphrase for the tests', { mode: 0o600 });
  });
  after(async () => {
    cleanup();
    await database.drop();
  });

  it('prints help and refuses unknown commands with a usage exit code', () => {
    const help = run(['--help']);
    assert.equal(help.code, 0);
    for (const cmd of ['init', 'enroll', 'platform', 'issue', 'revoke', 'suspend', 'resume', 'reissue', 'delete', 'operator', 'reidentify', 'status', 'audit'])
      assert.match(help.stdout, new RegExp(`\\b${cmd}\\b`));
    assert.equal(run(['frobnicate']).code, 2);
  });

  it('refuses to run without a KEK, with one clear line', () => {
    const r = run(['init', '--url', 'https://id.example.gov'], { MASKID_KEK_FILE: '' });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /ERR_KEK_MISSING/);
    assert.ok(!existsSync(join(dir, 'data', 'issuer.sqlite')), 'nothing written');
  });

  it('init, enroll, platform add, issue, as documented; the credential verifies', async () => {
    const noRoot = run(['init', '--url', 'https://id.example.gov']);
    assert.equal(noRoot.code, 1);
    assert.match(noRoot.stderr, /root-key create/);
    const root = run(['root-key', 'create', '--out', join(dir, 'root.jwk'), '--json']);
    assert.equal(root.code, 0, root.stderr);
    assert.equal(run(['root-key', 'create', '--out', join(dir, 'root.jwk')]).code, 1, 'a root key is never overwritten');
    for (const op of ['alice', 'bob']) {
      const kg = run(['operator', 'keygen', '--out', join(dir, `${op}.jwk`), '--json']);
      assert.equal(kg.code, 0, kg.stderr);
      writeFileSync(join(dir, `${op}.pub.json`), JSON.stringify(kg.json().publicJwk));
    }
    const init = run([
      'init',
      '--url',
      'https://id.example.gov',
      '--root-key',
      join(dir, 'root.jwk'),
      '--operator',
      `alice=${join(dir, 'alice.pub.json')}`,
      '--operator',
      `bob=${join(dir, 'bob.pub.json')}`,
      '--json',
    ]);
    assert.equal(init.code, 0, init.stderr);
    assert.equal(init.json().rootThumbprint, root.json().rootThumbprint);
    assert.equal(run(['key', 'anchor', '--json']).json().rootThumbprint, root.json().rootThumbprint);
    assert.equal(init.json().did, 'did:web:id.example.gov');
    assert.equal(run(['init', '--url', 'https://id.example.gov', '--json']).json().created, false);

    const nationalId = makeNationalId('1999-02-03', '31', 42);
    const enrolled = run(['enroll', '--national-id', nationalId, '--name', 'Wang Wu', '--birth-date', '1999-02-03', '--gender', 'M', '--region', '31', '--json']);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    const { networkNumber } = enrolled.json();
    assert.match(networkNumber, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-..$/);

    const dup = run(['enroll', '--national-id', nationalId, '--name', 'Wang Wu', '--birth-date', '1999-02-03', '--gender', 'M', '--region', '31']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /ERR_PERSON_DUPLICATE/);

    const added = run(['platform', 'add', '--id', 'forum', '--name', 'Big Forum', '--origin', 'https://forum.example', '--claims', 'ageOver18,region', '--json']);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(run(['platform', 'list', '--json']).json().platforms.length, 1);
    const badOrigin = run(['platform', 'add', '--id', 'x2', '--name', 'X', '--origin', 'https://x.example/path', '--claims', 'ageOver18']);
    assert.equal(badOrigin.code, 1);
    assert.match(badOrigin.stderr, /ERR_INPUT_INVALID/);

    const holder = await newHolder();
    const issued = run(['issue', '--network-number', networkNumber, '--platform', 'forum', '--holder', holder.did]);
    assert.equal(issued.code, 0, issued.stderr);
    const sdJwt = issued.stdout.trim();
    const issuedJson = run(['issue', '--network-number', networkNumber, '--platform', 'forum', '--holder', holder.did, '--json']).json();
    assert.equal(issuedJson.credential.type, 'EnvelopedVerifiableCredential');
    const vcld = run(['issue', '--network-number', networkNumber, '--platform', 'forum', '--holder', holder.did, '--format', 'dc+sd-jwt', '--json']).json();
    assert.equal(vcld.format, 'dc+sd-jwt');
    assert.equal(JSON.parse(Buffer.from(vcld.sdJwt.split('.')[0], 'base64url').toString()).typ, 'dc+sd-jwt');
    assert.equal(vcld.maskedId, issuedJson.maskedId, 'the same masked ID in both forms');
    const badFormat = run(['issue', '--network-number', networkNumber, '--platform', 'forum', '--holder', holder.did, '--format', 'jwt_vc_json']);
    assert.equal(badFormat.code, 2, 'an unknown form is a usage error');
    assert.match(badFormat.stderr, /dc\+sd-jwt/);

    const header = JSON.parse(Buffer.from(sdJwt.split('.')[0]!, 'base64url').toString());
    const kid = header.kid as string;
    const issuerJwk = init.json().publicJwk as Jwk;
    const pub = run(['status', 'publish', '--out', join(dir, 'public'), '--json']);
    assert.equal(pub.code, 0, pub.stderr);
    const manifestJwt = readFileSync(join(pub.json().outDir, 'forum', 'manifest'), 'utf8');
    assert.equal(JSON.parse(Buffer.from(manifestJwt.split('.')[0]!, 'base64url').toString()).kid, kid);
    const p = await presentInternetIdCredential(sdJwt, { claims: ['ageOver18'], kbSigner: holder.signer, nonce: 'nonce-1234567890abcdef', aud: 'origin:https://forum.example' });
    const r = await verifyInternetIdPresentation(p, {
      issuerKey: (_i, k) => {
        assert.equal(k, kid);
        return issuerJwk;
      },
      nonce: 'nonce-1234567890abcdef',
      audiences: ['origin:https://forum.example'],
      platform: 'forum',
      requestedClaims: ['ageOver18'],
    });
    assert.equal(r.verified, true, JSON.stringify(!r.verified && r.error));

    for (const cmd of ['suspend', 'resume', 'revoke']) {
      const s = run([cmd, '--network-number', networkNumber, '--platform', 'forum', '--json']);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.json().changedBits, 1);
    }
    const typo = run(['revoke', '--network-number', networkNumber.slice(0, -1) + (networkNumber.endsWith('0') ? '1' : '0')]);
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /ERR_INPUT_INVALID|ERR_NOT_FOUND/);
  });

  it('enrols a CSV: good rows enrolled, bad rows listed with line numbers, exit 3, a rows/s summary', () => {
    const rows = ['national_id,family_name,given_name,birth_date,gender,region'];
    for (let i = 0; i < 300; i++) rows.push(`${makeNationalId('1980-05-06', '32', i)},Zhao,"Liu, ${i}",1980-05-06,F,32`);
    rows.push('123,Bad,Row,1980-05-06,F,32');
    rows.push(`${makeNationalId('1980-05-06', '32', 7)},Dup,Row,1980-05-06,F,32`);
    const csv = join(dir, 'people.csv');
    writeFileSync(csv, '\ufeff' + rows.join('\r\n') + '\r\n');
    const r = run(['enroll', '--csv', csv, '--json']);
    assert.equal(r.code, 3, r.stderr);
    const summary = r.json();
    assert.equal(summary.rows, 302);
    assert.equal(summary.enrolled, 300);
    assert.deepEqual(
      summary.errors.map((e: { row: number; code: string }) => [e.row, e.code]),
      [
        [302, 'ERR_NATIONAL_ID_INVALID'],
        [303, 'ERR_PERSON_DUPLICATE'],
      ],
    );
    assert.ok(summary.rowsPerSecond > 0);
    const human = run(['enroll', '--csv', csv]);
    assert.match(human.stdout, /enrolled 0 of 302 rows .* rows\/s/);
    assert.match(human.stderr, /… \d+\/302/, 'progress on stderr');
    const missingColumn = join(dir, 'bad.csv');
    writeFileSync(missingColumn, 'national_id,birth_date\n1,2\n');
    const bad = run(['enroll', '--csv', missingColumn]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /lacks the column/);
  });

  it('operators: keygen, add, approve, reidentify, audit verify', () => {
    const holderDid =
      'did:jwk:' +
      Buffer.from(JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' })).toString(
        'base64url',
      );
    const nn = run([
      'enroll',
      '--national-id',
      makeNationalId('1991-01-01', '11', 1),
      '--name',
      'Sun Qi',
      '--birth-date',
      '1991-01-01',
      '--gender',
      'F',
      '--region',
      '11',
      '--json',
    ]).json().networkNumber;
    const maskedId = run(['issue', '--network-number', nn, '--platform', 'forum', '--holder', holderDid, '--json']).json().maskedId;
    // alice and bob were set at init. Adding carol needs a *different* operator's approval than the one running `operator add`.
    const kg = run(['operator', 'keygen', '--out', join(dir, 'carol.jwk'), '--json']);
    writeFileSync(join(dir, 'carol.pub.json'), JSON.stringify(kg.json().publicJwk));
    const addCarol = (by: string, approver: string) => {
      const file = join(dir, `add-carol-${by}-${approver}.jws`);
      run([
        'operator',
        'approve-add',
        '--key',
        join(dir, `${approver}.jwk`),
        '--id',
        approver,
        '--requester',
        by,
        '--new-id',
        'carol',
        '--new-public-key',
        join(dir, 'carol.pub.json'),
        '--out',
        file,
      ]);
      return run(['operator', 'add', '--id', 'carol', '--public-key', join(dir, 'carol.pub.json'), '--by', by, '--approval', file]);
    };
    const selfAdd = addCarol('alice', 'alice');
    assert.equal(selfAdd.code, 1);
    assert.match(selfAdd.stderr, /ERR_APPROVAL_INVALID/);
    assert.equal(run(['operator', 'add', '--id', 'carol', '--public-key', join(dir, 'carol.pub.json')]).code, 2, 'no approval: a usage error');
    const added = addCarol('alice', 'bob');
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual(
      run(['operator', 'list', '--json'])
        .json()
        .operators.map((o: { id: string }) => o.id),
      ['alice', 'bob', 'carol'],
    );
    const approval = join(dir, 'approval.jws');
    const ap = run([
      'operator',
      'approve',
      '--key',
      join(dir, 'bob.jwk'),
      '--id',
      'bob',
      '--requester',
      'alice',
      '--platform',
      'forum',
      '--masked-id',
      maskedId,
      '--case',
      'C-1',
      '--out',
      approval,
    ]);
    assert.equal(ap.code, 0, ap.stderr);
    const noApproval = run(['reidentify', '--platform', 'forum', '--masked-id', maskedId, '--case', 'C-1', '--approval', join(dir, 'missing.jws'), '--operator', 'alice']);
    assert.equal(noApproval.code, 1);
    const selfApproved = join(dir, 'self.jws');
    run([
      'operator',
      'approve',
      '--key',
      join(dir, 'alice.jwk'),
      '--id',
      'alice',
      '--requester',
      'alice',
      '--platform',
      'forum',
      '--masked-id',
      maskedId,
      '--case',
      'C-1',
      '--out',
      selfApproved,
    ]);
    const self = run(['reidentify', '--platform', 'forum', '--masked-id', maskedId, '--case', 'C-1', '--approval', selfApproved, '--operator', 'alice']);
    assert.equal(self.code, 1);
    assert.match(self.stderr, /ERR_APPROVAL_INVALID/);
    const ok = run(['reidentify', '--platform', 'forum', '--masked-id', maskedId, '--case', 'C-1', '--approval', approval, '--operator', 'alice', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.json().networkNumber, nn);
    const verify = run(['audit', 'verify', '--json']);
    assert.equal(verify.code, 0, verify.stdout);
    assert.equal(verify.json().ok, true);
    assert.equal(run(['delete', '--network-number', nn]).code, 0);
  });
});
